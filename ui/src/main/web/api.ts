// The REST API under /api/v1, with the signed-in user's token. Errors are RFC 9457 problem details.

export type TokenSource = () => Promise<string | undefined>;

let tokenSource: TokenSource = async () => undefined;

export function useTokens(source: TokenSource) {
  tokenSource = source;
}

export async function authorization(): Promise<Record<string, string>> {
  const token = await tokenSource();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
  }
}

async function problem(response: Response): Promise<ApiError> {
  let detail = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (body && typeof body.detail === "string") {
      detail = body.detail;
    }
  } catch {
    // Not a problem document: the status says what there is to say.
  }
  return new ApiError(response.status, detail);
}

export async function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(`/api/v1${path}`, {
    headers: { Accept: "application/json", ...(await authorization()) },
    signal,
  });
  if (!response.ok) {
    throw await problem(response);
  }
  return (await response.json()) as T;
}

/** POST or PATCH with a JSON body: the API refuses anything else, so no web page can forge one. */
export async function send<T>(method: "POST" | "PATCH", path: string, body: unknown = {}): Promise<T> {
  const response = await fetch(`/api/v1${path}`, {
    method,
    headers: { "Content-Type": "application/json", Accept: "application/json", ...(await authorization()) },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    throw await problem(response);
  }
  return (await response.json()) as T;
}

export function path(...segments: (string | number)[]): string {
  return segments.map((segment) => "/" + encodeURIComponent(String(segment))).join("");
}
