/**
 * What the sandbox platforms saw: the posts each one made live (for the web page and tests) and a
 * bounded log of every request (for the control API's state and the chaos soak's checks).
 */
import type { Platform } from '../domain/platform.ts';
import type { FaultMode } from './sandbox-faults.ts';

export interface PublishedRecord {
  platform: Platform;
  /** The platform's id for the new post (tweet id, IG media id, LinkedIn URN). */
  id: string;
  /** The account it was published as. */
  subject: string;
  /** The text as the platform shows it (after LinkedIn's little-text parsing, etc.). */
  text: string;
  /** Media ids or URLs as the platform received them. */
  media: string[];
  /** The request body as received, for the web page and tests. */
  received: unknown;
  url: string | null;
  publishedAt: Date;
}

export interface RequestRecord {
  platform: Platform;
  method: string;
  /** Platform-relative path, without the query string. */
  path: string;
  status: number | null;
  /** The fault that served it, if any. */
  fault: FaultMode | null;
  at: Date;
}

export interface SandboxRecords {
  recordPublished(record: Omit<PublishedRecord, 'publishedAt'> & { publishedAt?: Date }): PublishedRecord;
  published(platform?: Platform): PublishedRecord[];
  /**
   * Appends a request to the log. The caller keeps the entry and fills in `status` and `fault` as the
   * request proceeds, so the log shows the outcome once it is known.
   */
  logRequest(entry: RequestRecord): void;
  requests(platform?: Platform): RequestRecord[];
  clear(): void;
}

/** Keeps a long soak from growing the log without bound; the newest entries matter most. */
const MAX_REQUEST_LOG = 2000;

export function createSandboxRecords(now: () => Date): SandboxRecords {
  let publishedRecords: PublishedRecord[] = [];
  let requestLog: RequestRecord[] = [];

  return {
    recordPublished(record) {
      const full: PublishedRecord = { ...record, publishedAt: record.publishedAt ?? now() };
      publishedRecords.push(full);
      return full;
    },
    published(platform) {
      return publishedRecords.filter((r) => platform === undefined || r.platform === platform);
    },
    logRequest(entry) {
      requestLog.push(entry);
      if (requestLog.length > MAX_REQUEST_LOG) requestLog = requestLog.slice(-MAX_REQUEST_LOG);
    },
    requests(platform) {
      return requestLog.filter((r) => platform === undefined || r.platform === platform);
    },
    clear() {
      publishedRecords = [];
      requestLog = [];
    },
  };
}
