/**
 * Reading an X sandbox media request body the way X's v2 upload does: multipart or JSON, unknown
 * fields refused with X's schema message.
 */
import type { Context } from 'hono';

export function notInSchema(key: string): string {
  return `$.${key}: is not defined in the schema and the schema does not allow additional properties`;
}

/** The JSON body, or undefined when it is not JSON or does not parse. */
export async function readJson(c: Context): Promise<unknown> {
  if (!(c.req.header('content-type') ?? '').startsWith('application/json')) return undefined;
  try {
    return JSON.parse(await c.req.text());
  } catch {
    return undefined;
  }
}

/** Multipart (`media` is a file) or JSON (`media` is base64). Unknown fields are refused. */
export async function readMediaInput(
  c: Context,
  allowed: string[],
): Promise<{ bytes: Uint8Array | null; fields: Record<string, string> } | { error: string }> {
  const type = c.req.header('content-type') ?? '';
  const fields: Record<string, string> = {};
  let bytes: Uint8Array | null = null;
  if (type.startsWith('multipart/form-data')) {
    let form: FormData;
    try {
      form = await c.req.raw.formData();
    } catch {
      return { error: 'Request body is not valid multipart/form-data' };
    }
    for (const [key, value] of form.entries()) {
      if (!allowed.includes(key)) return { error: notInSchema(key) };
      if (key === 'media') {
        bytes = typeof value === 'string'
          ? new TextEncoder().encode(value)
          : new Uint8Array(await value.arrayBuffer());
      } else fields[key] = typeof value === 'string' ? value : '';
    }
    return { bytes, fields };
  }
  if (type.startsWith('application/json')) {
    const body = await readJson(c);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return { error: 'Request body must be a JSON object' };
    }
    for (const [key, value] of Object.entries(body)) {
      if (!allowed.includes(key)) return { error: notInSchema(key) };
      if (key === 'media') {
        if (typeof value !== 'string') return { error: '$.media: must be a base64 string' };
        try {
          bytes = Uint8Array.from(atob(value), (ch) => ch.charCodeAt(0));
        } catch {
          return { error: '$.media: must be a base64 string' };
        }
      } else fields[key] = String(value);
    }
    return { bytes, fields };
  }
  return { error: 'Content-Type must be multipart/form-data or application/json' };
}
