import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ValidationFailedError, type FieldProblem } from './domain-error';

/** Flattens nested class-validator errors to one entry per field path (`tiers.0.price`). */
export function toFieldProblems(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own: FieldProblem[] = error.constraints
      ? [{ field, messages: Object.values(error.constraints) }]
      : [];
    return [...own, ...toFieldProblems(error.children ?? [], field)];
  });
}

/** DTO validation for every service: unknown properties are refused, each bad field is listed. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailedError(toFieldProblems(errors)),
  });
}
