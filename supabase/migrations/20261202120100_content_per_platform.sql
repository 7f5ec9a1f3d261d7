-- Content per platform (issue 15): a target's own text, an X thread's parts, and a first comment with
-- its own status. The rules (lengths per platform, what a thread may hold, when a comment is sent)
-- are TypeScript's (src/domain/post-content.ts, the publishers); these are storage and its limits.

-- The post's first comment, posted on each target once it is live (unless the target has its own).
alter table public.posts
  add column first_comment text check (length(first_comment) between 1 and 10000);

alter table public.post_targets
  -- The target's own text; null: the post's.
  add column text text check (length(text) <= 10000),
  -- An X thread: [{ "text", "externalId", "url" }, …], part 1 first; externalId is set once a part is live.
  add column thread jsonb check (
    thread is null or (jsonb_typeof(thread) = 'array' and jsonb_array_length(thread) between 2 and 25)
  ),
  -- The target's own first comment; null: the post's.
  add column first_comment text check (length(first_comment) between 1 and 10000),
  -- The first comment's progress; null when neither the target nor the post has one.
  add column comment_status text check (
    comment_status in ('pending', 'publishing', 'published', 'failed', 'unconfirmed')
  ),
  add column comment_attempts integer not null default 0 check (comment_attempts >= 0),
  add column comment_next_attempt_at timestamptz,
  add column comment_claim_token uuid,
  add column comment_claimed_at timestamptz,
  add column comment_first_sent_at timestamptz,
  add column comment_external_id text,
  add column comment_external_url text,
  add column comment_error_code text,
  add column comment_error_message text check (length(comment_error_message) <= 2000),
  add constraint post_targets_comment_claim_check
    check ((comment_status = 'publishing') = (comment_claim_token is not null)),
  add constraint post_targets_comment_published_check
    check (comment_status is distinct from 'published' or comment_external_id is not null),
  add constraint post_targets_text_or_thread_check check (text is null or thread is null),
  add constraint post_targets_partial_check
    check (status <> 'partially_published' or external_id is not null);

-- Reconciler: comments waiting on a published target (a retry due, or a worker that died before
-- claiming), and comments stuck in publishing. Both are rare: the worker claims a comment as soon as
-- its target is published.
create index post_targets_pending_comment_idx on public.post_targets (comment_next_attempt_at)
  where comment_status = 'pending' and status = 'published';
create index post_targets_stuck_comment_idx on public.post_targets (comment_claimed_at)
  where comment_status = 'publishing';

-- The Studio screen shows what each platform publishes (a target's own text, an X thread's parts) and
-- the first comments' status. New columns go at the end: `create or replace view` keeps the others.
create or replace view public.post_status_overview with (security_invoker = true) as
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
  p.updated_at,
  t.x_text,
  t.instagram_text,
  t.linkedin_text,
  t.comment_status
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
    sum(pt.attempts)::integer as attempts,
    string_agg(
      coalesce(
        (select string_agg(part ->> 'text', ' ⏵ ' order by n) from jsonb_array_elements(pt.thread)
          with ordinality as parts (part, n)),
        pt.text, p.text
      ), ' | ' order by pt.created_at, pt.id
    ) filter (where pt.platform = 'x') as x_text,
    string_agg(coalesce(pt.text, p.text), ' | ' order by pt.created_at, pt.id)
      filter (where pt.platform = 'instagram') as instagram_text,
    string_agg(coalesce(pt.text, p.text), ' | ' order by pt.created_at, pt.id)
      filter (where pt.platform = 'linkedin') as linkedin_text,
    string_agg(pt.platform::text || ': ' || pt.comment_status, ', ' order by pt.created_at, pt.id)
      filter (where pt.comment_status is not null) as comment_status
  from public.post_targets pt
  where pt.post_id = p.id
) t on true
order by p.scheduled_at desc, p.id desc;

comment on column public.post_status_overview.x_text is
  'What each X target publishes: its own text or the post''s; a thread''s parts joined by ⏵.';
comment on column public.post_status_overview.instagram_text is
  'What each Instagram target publishes: its own text or the post''s.';
comment on column public.post_status_overview.linkedin_text is
  'What each LinkedIn target publishes: its own text or the post''s.';
comment on column public.post_status_overview.comment_status is
  'Each first comment''s status per platform (pending, publishing, published, failed, unconfirmed); empty without one.';
comment on column public.post_status_overview.x_status is
  'Each X target''s status (pending, publishing, published, partially_published, failed, cancelled, unconfirmed), oldest first; empty when the post does not go to X.';
comment on column public.posts.first_comment is
  'Posted as a comment on each target once it is live (LinkedIn, Instagram comment; X reply), unless the target has its own.';
comment on column public.post_targets.text is 'The target''s own text, replacing the post''s for this platform; empty: the post''s.';
comment on column public.post_targets.thread is
  'An X thread: its parts in order, each with the id and link once live. A retry resumes at the first part not live.';
comment on column public.post_targets.first_comment is 'The target''s own first comment; empty: the post''s.';
comment on column public.post_targets.comment_status is
  'The first comment: pending (waits for the post), publishing, published, failed or unconfirmed. Its failure never fails the post.';
