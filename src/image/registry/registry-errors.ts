// Errors of the distribution API as Docker prints them: the registry's error
// code in words, then its message ("unauthorized: authentication required",
// "manifest unknown: manifest unknown").
export class RegistryError extends Error {
  constructor(
    message: string,
    /** HTTP status, 0 when the registry could not be reached */
    readonly status: number,
    /** the registry's error code (UNAUTHORIZED, MANIFEST_UNKNOWN, ...), if it sent one */
    readonly code?: string,
  ) {
    super(message);
  }

  get unauthorized(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

interface ApiErrors {
  errors?: { code?: string; message?: string; detail?: unknown }[];
  /** token services (Docker Hub's auth.docker.io) say why in "details" */
  details?: unknown;
}

/** The error a registry response carries, from its JSON errors body when it has one. */
export function responseError(status: number, body: Buffer, what: string): RegistryError {
  let parsed: ApiErrors | undefined;
  try {
    parsed = JSON.parse(body.toString('utf8')) as ApiErrors;
  } catch {
    parsed = undefined;
  }
  const first = parsed?.errors?.[0];
  if (first?.code) {
    const words = first.code.toLowerCase().replace(/_/g, ' ');
    return new RegistryError(`${what}: ${words}${first.message ? `: ${first.message}` : ''}`, status, first.code);
  }
  if (typeof parsed?.details === 'string' && parsed.details) return new RegistryError(`${what}: ${status === 401 ? 'unauthorized: ' : ''}${parsed.details}`, status);
  const text = body.toString('utf8').trim().slice(0, 200);
  const plain = status === 401 ? 'unauthorized: authentication required' : status === 404 ? 'not found' : `unexpected status ${status}`;
  return new RegistryError(`${what}: ${plain}${text && status !== 401 && status !== 404 ? ` (${text})` : ''}`, status);
}
