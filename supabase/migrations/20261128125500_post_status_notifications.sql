-- Status notifications (issue 6): the database webhook on status changes, the creator's notifications
-- and webhook endpoints, the delivery log, and the Studio view post_status_overview.
--
-- Flow: a post reaching published / partially_published / failed / cancelled, or a target becoming
-- failed / unconfirmed, fires public.post_status_webhook(). With pg_net (Supabase) it POSTs the
-- database-webhook payload { type, table, schema, record, old_record } to the `post-status-webhook`
-- Edge Function; the URL and the shared secret come from Vault, never from this file:
--   select vault.create_secret('https://<ref>.supabase.co/functions/v1/post-status-webhook', 'post_status_webhook_url');
--   select vault.create_secret('<the WEBHOOK_SECRET of the function>', 'post_status_webhook_secret');
-- Without pg_net (plain Postgres, self-hosting) the same trigger sends a compact payload with
-- pg_notify('post_status_webhook', …), which the worker relays to the same handler (NOTIFY_RELAY=true).
-- Both are delivered only when the transaction commits, both are fire-and-forget: the handler is
-- idempotent (notifications.event_key) and the authoritative status stays in posts / post_targets.

-- ───────────────────────── the webhook trigger ─────────────────────────
create or replace function public.post_status_webhook() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  payload jsonb;
  hook_url text;
  hook_secret text;
begin
  -- The trigger's WHEN clause already limits this to status changes that matter; this is the body.
  begin
    if pg_catalog.to_regprocedure('net.http_post(text,jsonb,jsonb,jsonb,integer)') is not null then
      payload := pg_catalog.jsonb_build_object(
        'type', tg_op,
        'table', tg_table_name,
        'schema', tg_table_schema,
        'record', pg_catalog.to_jsonb(new),
        'old_record', case when tg_op = 'INSERT' then null else pg_catalog.to_jsonb(old) end
      );
      if pg_catalog.to_regclass('vault.decrypted_secrets') is not null then
        select s.decrypted_secret into hook_url
          from vault.decrypted_secrets s where s.name = 'post_status_webhook_url' limit 1;
        select s.decrypted_secret into hook_secret
          from vault.decrypted_secrets s where s.name = 'post_status_webhook_secret' limit 1;
      end if;
      if hook_url is null or hook_url = '' or hook_secret is null or hook_secret = '' then
        -- Not configured yet: the status change must still succeed; say so in the server log.
        raise log 'post_status_webhook: Vault secret post_status_webhook_url or post_status_webhook_secret is missing; % % % not sent',
          tg_table_name, new.id, new.status;
        return null;
      end if;
      perform net.http_post(
        url := hook_url,
        body := payload,
        params := '{}'::jsonb,
        headers := pg_catalog.jsonb_build_object(
          'Content-Type', 'application/json',
          'x-webhook-secret', hook_secret
        ),
        timeout_milliseconds := 5000
      );
    else
      -- NOTIFY payloads must stay under 8000 bytes: send ids, statuses and versions only (no text,
      -- no error messages); the handler reads the rest from the tables.
      payload := pg_catalog.jsonb_build_object(
        'type', tg_op,
        'table', tg_table_name,
        'schema', tg_table_schema,
        'record', public.post_status_webhook_compact(pg_catalog.to_jsonb(new)),
        'old_record', case when tg_op = 'INSERT' then null
                           else public.post_status_webhook_compact(pg_catalog.to_jsonb(old)) end
      );
      perform pg_catalog.pg_notify('post_status_webhook', payload::text);
    end if;
  exception when others then
    -- A notification is never worth failing a publish for.
    raise warning 'post_status_webhook: % % not sent: % (%)', tg_table_name, new.id, sqlerrm, sqlstate;
  end;
  return null;
end;
$$;

-- The columns a NOTIFY payload keeps: bounded in size whatever the row holds.
create or replace function public.post_status_webhook_compact(row_json jsonb) returns jsonb
language sql
immutable
set search_path = ''
as $$
  select coalesce(pg_catalog.jsonb_object_agg(key, value), '{}'::jsonb)
  from pg_catalog.jsonb_each(row_json)
  where key in ('id', 'user_id', 'post_id', 'platform', 'status', 'version', 'attempts', 'updated_at')
$$;

-- Trigger functions are not for calling through the Data API.
revoke all on function public.post_status_webhook() from public, anon, authenticated;
revoke all on function public.post_status_webhook_compact(jsonb) from public, anon, authenticated;

-- `update of status` alone also fires for `set status = status`; the WHEN clauses keep it to real
-- changes into a status the creator must hear about (no webhook for attempts, claims, edits…).
create trigger posts_status_webhook
  after update of status on public.posts
  for each row
  when (old.status is distinct from new.status
        and new.status in ('published', 'partially_published', 'failed', 'cancelled'))
  execute function public.post_status_webhook();

create trigger post_targets_status_webhook
  after update of status on public.post_targets
  for each row
  when (old.status is distinct from new.status and new.status in ('failed', 'unconfirmed'))
  execute function public.post_status_webhook();

-- ───────────────────────── notifications ─────────────────────────
create table public.notifications (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  -- Kept when the post is deleted later: the notification is history.
  post_id uuid references public.posts (id) on delete set null,
  target_id uuid references public.post_targets (id) on delete set null,
  kind text not null check (kind in (
    'post.published', 'post.partially_published', 'post.failed', 'post.cancelled',
    'target.failed', 'target.unconfirmed'
  )),
  title text not null check (length(title) between 1 and 200),
  body text not null check (length(body) between 1 and 4000),
  -- The published post, or where to act (reconnect an account, edit the post).
  link text check (length(link) <= 2000),
  -- One notification per event, however often the event is delivered (see src/notify/status-event.ts).
  event_key text not null unique check (length(event_key) <= 300),
  read_at timestamptz,
  read boolean generated always as (read_at is not null) stored,
  created_at timestamptz not null default now()
);
-- The owner's list, newest first (API cursor, app); the second serves the unread filter.
create index notifications_user_created_idx on public.notifications (user_id, created_at desc, id desc);
create index notifications_user_unread_idx on public.notifications (user_id, created_at desc, id desc)
  where read_at is null;
create index notifications_post_id_idx on public.notifications (post_id);
create index notifications_target_id_idx on public.notifications (target_id);

alter table public.notifications enable row level security;
create policy "owner reads own notifications" on public.notifications
  for select to authenticated using ((select auth.uid()) = user_id);
create policy "owner marks own notifications read" on public.notifications
  for update to authenticated
  using ((select auth.uid()) = user_id)
  with check ((select auth.uid()) = user_id);

-- Written by the server (the post-status-webhook function); the owner may read and set read_at only.
revoke all on public.notifications from anon, authenticated;
grant select on public.notifications to authenticated;
grant update (read_at) on public.notifications to authenticated;
grant all on public.notifications to service_role;

-- Live updates in the app (Supabase Realtime postgres_changes; RLS applies per subscriber). Plain
-- Postgres without the publication (self-hosting) simply has no Realtime.
do $$
begin
  if exists (select from pg_publication where pubname = 'supabase_realtime') then
    alter publication supabase_realtime add table public.notifications;
  end if;
end
$$;

-- ───────────────────────── notification_endpoints ─────────────────────────
-- A creator's own webhook receivers, signed per the Standard Webhooks spec with `secret`.
create table public.notification_endpoints (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  -- https in production; the API admits http only with NOTIFY_ALLOW_PRIVATE_HOSTS=true (dev).
  url text not null check (url ~ '^https?://' and length(url) <= 2000),
  description text check (length(description) <= 200),
  -- `whsec_` + base64 of 24–64 random bytes. Needed in clear to sign, so never granted to clients.
  secret text not null check (secret ~ '^whsec_[A-Za-z0-9+/]{32,88}={0,2}$'),
  events text[] not null check (
    cardinality(events) > 0 and events <@ array[
      'post.published', 'post.partially_published', 'post.failed', 'post.cancelled',
      'target.failed', 'target.unconfirmed'
    ]::text[]
  ),
  enabled boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index notification_endpoints_user_id_idx on public.notification_endpoints (user_id);
create trigger notification_endpoints_set_updated_at before update on public.notification_endpoints
  for each row execute function public.set_updated_at();

alter table public.notification_endpoints enable row level security;
create policy "owner reads own notification endpoints" on public.notification_endpoints
  for select to authenticated using ((select auth.uid()) = user_id);
create policy "owner deletes own notification endpoints" on public.notification_endpoints
  for delete to authenticated using ((select auth.uid()) = user_id);

-- Created and changed through the API (it validates the URL and generates the secret).
revoke all on public.notification_endpoints from anon, authenticated;
grant select (id, user_id, url, description, events, enabled, created_at, updated_at)
  on public.notification_endpoints to authenticated;
grant delete on public.notification_endpoints to authenticated;
grant all on public.notification_endpoints to service_role;

-- ───────────────────────── notification_deliveries (delivery log) ─────────────────────────
-- One row per attempt to POST to an endpoint, for diagnosis ("why did my endpoint get nothing?").
create table public.notification_deliveries (
  id bigint generated always as identity primary key,
  endpoint_id uuid not null references public.notification_endpoints (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  -- Null for test events.
  notification_id uuid references public.notifications (id) on delete cascade,
  -- The Standard Webhooks `webhook-id`: the same on every retry of one message.
  message_id text not null check (length(message_id) <= 200),
  event_type text not null check (length(event_type) <= 100),
  attempt integer not null check (attempt >= 1),
  -- Null when no HTTP answer came (timeout, refused connection).
  status_code integer check (status_code between 100 and 599),
  error text check (length(error) <= 1000),
  duration_ms integer not null check (duration_ms >= 0),
  created_at timestamptz not null default now()
);
create index notification_deliveries_endpoint_idx
  on public.notification_deliveries (endpoint_id, created_at desc);
create index notification_deliveries_user_id_idx on public.notification_deliveries (user_id);
create index notification_deliveries_notification_id_idx
  on public.notification_deliveries (notification_id);

alter table public.notification_deliveries enable row level security;
create policy "owner reads own notification deliveries" on public.notification_deliveries
  for select to authenticated using ((select auth.uid()) = user_id);

revoke all on public.notification_deliveries from anon, authenticated;
grant select on public.notification_deliveries to authenticated;
grant all on public.notification_deliveries to service_role;
grant usage on all sequences in schema public to service_role;

-- ───────────────────────── Studio view: post_status_overview ─────────────────────────
-- One row per post with each platform's status and link, the last error, attempts and lateness.
-- security_invoker: the caller's RLS applies (a creator sees their own posts; Studio runs as postgres).
-- With several accounts on one platform, the platform columns list each target, oldest first.
create view public.post_status_overview with (security_invoker = true) as
select
  p.id as post_id,
  p.user_id,
  p.scheduled_at,
  p.status,
  t.x_status,
  t.instagram_status,
  t.linkedin_status,
  t.x_url,
  t.instagram_url,
  t.linkedin_url,
  coalesce(t.last_error_code, p.error_code) as last_error_code,
  coalesce(t.last_error_message, p.error_message) as last_error_message,
  coalesce(t.attempts, 0) as attempts,
  p.published_at - p.scheduled_at as lateness,
  p.published_at,
  p.version,
  p.updated_at
from public.posts p
left join lateral (
  select
    string_agg(pt.status::text, ', ' order by pt.created_at, pt.id)
      filter (where pt.platform = 'x') as x_status,
    string_agg(pt.status::text, ', ' order by pt.created_at, pt.id)
      filter (where pt.platform = 'instagram') as instagram_status,
    string_agg(pt.status::text, ', ' order by pt.created_at, pt.id)
      filter (where pt.platform = 'linkedin') as linkedin_status,
    string_agg(pt.external_url, ' ' order by pt.created_at, pt.id)
      filter (where pt.platform = 'x' and pt.external_url is not null) as x_url,
    string_agg(pt.external_url, ' ' order by pt.created_at, pt.id)
      filter (where pt.platform = 'instagram' and pt.external_url is not null) as instagram_url,
    string_agg(pt.external_url, ' ' order by pt.created_at, pt.id)
      filter (where pt.platform = 'linkedin' and pt.external_url is not null) as linkedin_url,
    (array_agg(pt.error_code order by pt.updated_at desc) filter (where pt.error_code is not null))[1]
      as last_error_code,
    (array_agg(pt.error_message order by pt.updated_at desc) filter (where pt.error_code is not null))[1]
      as last_error_message,
    sum(pt.attempts)::integer as attempts
  from public.post_targets pt
  where pt.post_id = p.id
) t on true
-- Newest first. Studio opens a view with `select … limit 100`: this order walks
-- posts_scheduled_at_idx (or, for a creator, posts_user_scheduled_idx) and stops after 100 posts,
-- each with an index lookup on post_targets_post_id_idx — no scan of all posts.
order by p.scheduled_at desc, p.id desc;

create index posts_scheduled_at_idx on public.posts (scheduled_at desc, id desc);

revoke all on public.post_status_overview from anon, authenticated, service_role;
grant select on public.post_status_overview to authenticated;
