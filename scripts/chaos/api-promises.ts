/**
 * What the API promised must hold in the end: a post answered 201 exists, a DELETE answered 204 left
 * the post cancelled, and the text of the last PATCH answered 200 is the post's text (docs/operations.md
 * invariant 3: cancel and edit win once they succeed).
 */
import type { PostRecord } from './load-driver.ts';

export type ReportViolation = (
  kind: 'lost' | 'cancel_not_kept' | 'edit_not_kept',
  post: number | null,
  platform: string | null,
  detail: string,
) => void;

export function checkApiPromises(
  records: readonly PostRecord[],
  /** The database's posts by plan number, with the tag's edit number of their current text. */
  postByN: ReadonlyMap<number, { status: string; edit: number }>,
  violate: ReportViolation,
): { lost: number; cancelNotKept: number; editNotKept: number } {
  let lost = 0, cancelNotKept = 0, editNotKept = 0;
  for (const record of records) {
    const post = postByN.get(record.plan.n);
    if (record.createStatus === 201 && !post) {
      lost++;
      violate(
        'lost',
        record.plan.n,
        null,
        `post ${record.plan.n} was accepted (201, id ${record.postId}) but is not in the database`,
      );
      continue;
    }
    if (!post) continue;
    const cancelled = record.actions.some((a) => a.kind === 'cancel' && a.status === 204);
    if (cancelled && post.status !== 'cancelled') {
      cancelNotKept++;
      violate(
        'cancel_not_kept',
        record.plan.n,
        null,
        `post ${record.plan.n}: DELETE answered 204 but the post is ${post.status}`,
      );
    }
    const lastEdit = record.actions.filter((a) => a.kind === 'edit' && a.status === 200).at(-1);
    // A later edit whose answer was lost may have won; an older text than an accepted edit may not.
    if (lastEdit && lastEdit.edit !== null && post.edit < lastEdit.edit) {
      editNotKept++;
      violate(
        'edit_not_kept',
        record.plan.n,
        null,
        `post ${record.plan.n}: PATCH to edit ${lastEdit.edit} answered 200 but the text is edit ${post.edit}`,
      );
    }
  }

  return { lost, cancelNotKept, editNotKept };
}
