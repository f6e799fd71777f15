// Storage errors become API errors here, at the registry edge.
import { ApiError, errors } from '../../api/errors.js';
import type { ResourceInfo } from '../../api/resource.js';
import { StorageError } from '../../storage/store.js';

export function mapStorageError(err: unknown, info: ResourceInfo, name: string): unknown {
  if (!(err instanceof StorageError)) return err;
  switch (err.code) {
    case 'KeyNotFound':
      return errors.notFound(info.group, info.plural, name);
    case 'KeyExists':
      return errors.alreadyExists(info.group, info.plural, name);
    case 'Conflict':
      return errors.conflict(info.group, info.plural, name, 'the object has been modified; please apply your changes to the latest version and try again');
    case 'Compacted':
      return errors.gone(`The resourceVersion for the provided list is too old.`);
    case 'TooLarge':
      return errors.tooLarge('the object is too large to store; objects are limited to 1.5 MiB');
    case 'TooNew':
      return new ApiError(504, 'Timeout', `Too large resource version: ${err.message}`, { retryAfterSeconds: 1 });
    case 'InvalidContinue':
      return errors.badRequest(`invalid continue token: ${err.message}`);
    case 'Unavailable':
      return new ApiError(503, 'ServiceUnavailable', `storage is unavailable: ${err.message}`, { retryAfterSeconds: 1 });
  }
  return err;
}
