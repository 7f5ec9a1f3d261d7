-- When the earliest send of a target that may have gone out began, by the database's clock: set by the
-- first claim, kept by later claims and takeovers, cleared when a failed target is retried (a failed
-- target has no copy). A look-up after an unanswered send searches the platform from here on, and
-- gives up asking a platform that stays unreachable a bounded time after it.
alter table public.post_targets add column first_sent_at timestamptz;
