import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { JsonSchema } from '../plugins/sdk.ts';
import { invalidRequest, type ErrorDetail } from './errors.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** Two ajv instances: bodies are strict JSON; params and query strings are coerced to their types. */
export const bodyAjv = addFormats(new Ajv({ allErrors: true, strict: false, useDefaults: true }));
export const queryAjv = addFormats(new Ajv({ allErrors: true, strict: false, coerceTypes: true, useDefaults: true }));

export function compile(schema: JsonSchema, coerce: boolean): ValidateFunction {
  return (coerce ? queryAjv : bodyAjv).compile(schema);
}

export function toDetails(errors: ErrorObject[] | null | undefined, root: string): ErrorDetail[] {
  return (errors ?? []).map((e) => {
    let pointer = `${root}${e.instancePath}`;
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'additionalProperties') {
      pointer += `/${(e.params as { additionalProperty: string }).additionalProperty}`;
      message = 'is not a known field';
    } else if (e.keyword === 'required') {
      pointer += `/${(e.params as { missingProperty: string }).missingProperty}`;
      message = 'is required';
    }
    return { pointer, message };
  });
}

/** Validates (and coerces/defaults) a value in place; throws 400 invalid_request listing each field. */
export function check(validate: ValidateFunction, value: unknown, root: string, what: string) {
  if (!validate(value)) {
    throw invalidRequest(`The ${what} is invalid.`, toDetails(validate.errors, root));
  }
}
