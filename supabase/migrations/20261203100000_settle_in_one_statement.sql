-- Settling a target in one statement (src/store/postgres-settlement.ts). The settle locks its post's
-- row, then reads the post's other targets. In one statement a plain subquery would read them with the
-- snapshot the statement took before it waited for the lock, and miss a settle that committed while it
-- waited: two concurrent last settles would each see the other still publishing, and neither would
-- roll the post up. A VOLATILE PL/pgSQL function takes a fresh snapshot for each query it runs (READ
-- COMMITTED), so called after the lock it sees every earlier settle of the post, as the second
-- statement of a transaction did.
--
-- What it returns is what the roll-up needs of each other target (the rule stays in TypeScript:
-- src/domain/post.ts rollUpPostStatus, src/store/settlement-rules.ts rolledUpFields).
create function public.other_targets_now(post uuid, target uuid) returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
begin
  return (
    select coalesce(
      pg_catalog.jsonb_agg(
        pg_catalog.jsonb_build_object(
          'id', t.id, 'created_at', t.created_at, 'status', t.status, 'published_at', t.published_at,
          'error_code', t.error_code, 'error_message', t.error_message)
        order by t.created_at, t.id),
      '[]'::jsonb)
    from public.post_targets t
    where t.post_id = other_targets_now.post and t.id <> other_targets_now.target);
end
$$;

-- Only the worker's connection calls it; PostgREST must not expose it to the app's users.
revoke all on function public.other_targets_now(uuid, uuid) from public, anon, authenticated;

comment on function public.other_targets_now(uuid, uuid) is
  'The other targets of a post, read with a fresh snapshot: called by the worker''s settle after it locked the post row. Internal.';
