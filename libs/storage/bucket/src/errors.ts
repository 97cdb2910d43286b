import { NotFoundError, ValidationError } from '@panoptes/common';

/** A get, getRange, getStream or attributes call named an object that does not exist. */
export class ObjectNotFoundError extends NotFoundError {
  constructor(
    readonly key: string,
    readonly bucketName: string,
    options: { cause?: unknown } = {},
  ) {
    super('object_not_found', `object "${key}" not found in bucket "${bucketName}"`, options);
  }
}

export function isObjectNotFound(err: unknown): err is ObjectNotFoundError {
  return err instanceof ObjectNotFoundError;
}

/** getRange asked for an offset past the end of the object (offset > size). */
export class InvalidRangeError extends ValidationError {
  constructor(
    readonly key: string,
    readonly offset: number,
    readonly size: number,
  ) {
    super(
      'invalid_object_range',
      `range offset ${offset} is past the end of object "${key}" (size ${size} bytes); read at offsets up to the object size`,
    );
  }
}

export function isInvalidRange(err: unknown): err is InvalidRangeError {
  return err instanceof InvalidRangeError;
}
