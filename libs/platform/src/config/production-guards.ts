import { ValidateBy, type ValidationArguments } from 'class-validator';

/**
 * Refuses a setting's value when the service runs with NODE_ENV=production, naming the variable
 * (config validation stops boot with exit code 78). For what is fine on a developer's machine and
 * never acceptable with real money or real codes: the sandbox payment provider, development secrets.
 */
export function RefusedInProduction(isRefused: (value: unknown) => boolean, reason: string): PropertyDecorator {
  return ValidateBy({
    name: 'refusedInProduction',
    validator: {
      validate: (value: unknown, args?: ValidationArguments) => (args?.object as { NODE_ENV?: string } | undefined)?.NODE_ENV !== 'production' || !isRefused(value),
      defaultMessage: () => reason,
    },
  });
}
