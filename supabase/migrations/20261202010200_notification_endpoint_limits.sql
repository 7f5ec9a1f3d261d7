-- Per-creator limits on webhook endpoints.
--
-- Test events (POST /notification-endpoints/:id/test) make the server POST to a URL the creator
-- chose, so each creator may send NOTIFY_TEST_SEND_LIMIT of them per NOTIFY_TEST_SEND_WINDOW_MS.
-- The count lives here, not in a process: the API runs as several processes and Edge Function
-- isolates. The store takes a slot under an advisory lock on the creator and forgets rows older than
-- the window as it goes (src/store/postgres-test-sends.ts). The number of endpoints per creator
-- (NOTIFY_MAX_ENDPOINTS_PER_USER) is checked the same way when one is created.
create table public.notification_test_sends (
  id bigint generated always as identity primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  -- Kept, as null, when the endpoint is deleted: deleting an endpoint must not give sends back.
  endpoint_id uuid references public.notification_endpoints (id) on delete set null,
  sent_at timestamptz not null
);
create index notification_test_sends_user_sent_idx on public.notification_test_sends (user_id, sent_at desc);
create index notification_test_sends_endpoint_id_idx on public.notification_test_sends (endpoint_id);

alter table public.notification_test_sends enable row level security;
create policy "owner reads own test sends" on public.notification_test_sends
  for select to authenticated using ((select auth.uid()) = user_id);

-- Written by the server only.
revoke all on public.notification_test_sends from anon, authenticated;
grant select on public.notification_test_sends to authenticated;
grant all on public.notification_test_sends to service_role;
grant usage on all sequences in schema public to service_role;

-- GET /notification-endpoints pages by (created_at, id) within an owner; this index serves that and
-- every lookup the (user_id) index served.
create index notification_endpoints_user_created_idx
  on public.notification_endpoints (user_id, created_at, id);
drop index public.notification_endpoints_user_id_idx;
