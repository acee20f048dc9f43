import { Migration } from '@mikro-orm/migrations';

/**
 * A click earns for its partner as the partner was when the click happened (README: a suspended partner's clicks
 * accrue on a rejected row of their own, beside the day's pending row of the clicks before). Clicks reach
 * PostgreSQL a flush later (100 ms; minutes while it is down, or from a spill), so the flush cannot read the
 * partner's status as it is then: each change of status records the status it ends and when (its transaction's
 * time), and the partner row keeps since when its status holds. A trigger does both, so every writer (the ORM's
 * PATCH, a script) records them in the same transaction as the change.
 */
export class Migration0031PartnerStatusHistory extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table partners add column status_since timestamptz not null default '-infinity'`);
    this.addSql(`create table partner_status_history (
      handle text not null,
      partner_id text not null,
      status text not null,
      until timestamptz not null,
      primary key (handle, partner_id, until))`);
    this.addSql(`create function partner_status_change() returns trigger language plpgsql as $$
      begin
        if new.status is distinct from old.status then
          insert into partner_status_history (handle, partner_id, status, until) values (old.handle, old.partner_id, old.status, now())
            on conflict (handle, partner_id, until) do update set status = partner_status_history.status;
          new.status_since := now();
        end if;
        return new;
      end $$`);
    this.addSql(`create trigger partner_status_change before update of status on partners
                 for each row execute function partner_status_change()`);
  }
}
