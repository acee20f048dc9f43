/** The named schemas of the OpenAPI document: the error body, and every schema a module gave a `title`. */

/** The contract's error body (API.md, Conventions); every 4xx/5xx JSON answer refers to it. */
export const errorSchema = {
  title: 'Error',
  type: 'object',
  additionalProperties: false,
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      additionalProperties: false,
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'snake_case, e.g. invalid_request, unauthorized, insufficient_scope, not_found, conflict, rate_limited' },
        message: { type: 'string', description: 'A human sentence.' },
        details: {
          type: 'array',
          description: 'For invalid_request: each failing field by JSON pointer (/body/..., /query/..., /params/...).',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['pointer', 'message'],
            properties: { pointer: { type: 'string' }, message: { type: 'string' } },
          },
        },
      },
    },
  },
} as const;

export const ERROR_REF = { $ref: '#/components/schemas/Error' };

const componentName = (title: string) => title.replace(/[^A-Za-z0-9._-]+/g, '');

/**
 * Replaces every schema with a `title` by a `$ref` to `components.schemas[title]`, registering it
 * there once. Two different schemas under one title are a mistake in the route table: it throws,
 * and the OpenAPI tests fail, rather than a client getting the wrong type.
 */
export class SchemaRegistry {
  readonly schemas: Record<string, object> = {};
  private readonly texts = new Map<string, string>();

  constructor() {
    this.schemas.Error = errorSchema;
    this.texts.set('Error', JSON.stringify(errorSchema));
  }

  /** A copy of `node` in which titled schemas, at any depth, are references. */
  name<T>(node: T): T {
    if (Array.isArray(node)) return node.map((n) => this.name(n)) as T;
    if (node === null || typeof node !== 'object') return node;
    const title = (node as { title?: unknown }).title;
    if (typeof title === 'string' && title !== '') return { $ref: `#/components/schemas/${this.register(title, node)}` } as T;
    return this.copy(node);
  }

  private copy<T extends object>(node: T): T {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, this.name(v)])) as T;
  }

  private register(title: string, node: object): string {
    const name = componentName(title);
    const text = JSON.stringify(node);
    const known = this.texts.get(name);
    if (known === undefined) {
      this.texts.set(name, text);
      this.schemas[name] = this.copy(node); // its own titled parts become references too
    } else if (known !== text) {
      throw new Error(`OpenAPI: two different schemas are titled "${title}"`);
    }
    return name;
  }
}
