import { Migration } from '@mikro-orm/migrations';

/**
 * The deployment's id: one random id per database, made by the first server start (not here: the
 * migrations are baked into the embedded template, and every data directory made from it would share
 * a row made here). The default Redis namespace is derived from it (core/infra/redis-prefix.ts).
 */
export class Migration0024DeploymentId extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table deployment (
      singleton boolean primary key default true check (singleton),
      deployment_id uuid not null,
      created_at timestamptz not null default now()
    )`);
  }
}
