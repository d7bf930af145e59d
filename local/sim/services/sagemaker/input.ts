import { SimError } from '../../protocol.ts';

/**
 * Reads one JSON-protocol request body the way AWS validates it: wrong or missing members get the
 * service's validation error with AWS's own wording ("1 validation error detected: Value null at
 * 'endpointName' failed to satisfy constraint: Member must not be null"), so callers see the field
 * named exactly as the SDK sent it. Shared by the SageMaker, CloudWatch and Auto Scaling simulators.
 */
export class ApiInput {
  constructor(
    readonly raw: Record<string, unknown>,
    /** ValidationException (SageMaker, Auto Scaling) or ValidationError (CloudWatch). */
    readonly errorCode = 'ValidationException',
    /** Dotted path of this object inside the request, for nested members. */
    readonly path = '',
  ) {}

  private where(name: string): string {
    return this.path ? `${this.path}.${lowerFirst(name)}` : lowerFirst(name);
  }

  fail(name: string, value: unknown, constraint: string): never {
    const shown = value === undefined || value === null ? 'null' : `'${typeof value === 'string' ? value : JSON.stringify(value)}'`;
    throw new SimError(this.errorCode, `1 validation error detected: Value ${shown} at '${this.where(name)}' failed to satisfy constraint: ${constraint}`);
  }

  has(name: string): boolean {
    return this.raw[name] !== undefined && this.raw[name] !== null;
  }

  string(name: string, rules: { required: true; pattern?: RegExp; max?: number; min?: number; oneOf?: readonly string[] }): string;
  string(name: string, rules?: { required?: false; pattern?: RegExp; max?: number; min?: number; oneOf?: readonly string[] }): string | undefined;
  string(name: string, rules: { required?: boolean; pattern?: RegExp; max?: number; min?: number; oneOf?: readonly string[] } = {}): string | undefined {
    const value = this.raw[name];
    if (value === undefined || value === null) {
      if (rules.required) this.fail(name, value, 'Member must not be null');
      return undefined;
    }
    if (typeof value !== 'string') this.fail(name, value, 'Member must be a string');
    if (rules.min !== undefined && value.length < rules.min) this.fail(name, value, `Member must have length greater than or equal to ${rules.min}`);
    if (rules.max !== undefined && value.length > rules.max) this.fail(name, value, `Member must have length less than or equal to ${rules.max}`);
    if (rules.pattern && !rules.pattern.test(value))
      this.fail(name, value, `Member must satisfy regular expression pattern: ${rules.pattern.source.replace(/^\^|\$$/g, '')}`);
    if (rules.oneOf && !rules.oneOf.includes(value)) this.fail(name, value, `Member must satisfy enum value set: [${rules.oneOf.join(', ')}]`);
    return value;
  }

  number(name: string, rules: { required?: boolean; integer?: boolean; min?: number; max?: number } = {}): number | undefined {
    const value = this.raw[name];
    if (value === undefined || value === null) {
      if (rules.required) this.fail(name, value, 'Member must not be null');
      return undefined;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(name, value, 'Member must be a number');
    if (rules.integer && !Number.isInteger(value)) this.fail(name, value, 'Member must be an integer');
    if (rules.min !== undefined && value < rules.min) this.fail(name, value, `Member must have value greater than or equal to ${rules.min}`);
    if (rules.max !== undefined && value > rules.max) this.fail(name, value, `Member must have value less than or equal to ${rules.max}`);
    return value;
  }

  boolean(name: string): boolean | undefined {
    const value = this.raw[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') this.fail(name, value, 'Member must be a boolean');
    return value;
  }

  /** JSON protocols send timestamps as epoch seconds (the SDK may also send ISO strings for some shapes). */
  date(name: string, rules: { required?: boolean } = {}): Date | undefined {
    const value = this.raw[name];
    if (value === undefined || value === null) {
      if (rules.required) this.fail(name, value, 'Member must not be null');
      return undefined;
    }
    const date = typeof value === 'number' ? new Date(value * 1000) : typeof value === 'string' ? new Date(value) : undefined;
    if (!date || Number.isNaN(date.getTime())) this.fail(name, value, 'Member must be a timestamp');
    return date;
  }

  array(name: string, rules: { required?: boolean; min?: number; max?: number } = {}): unknown[] | undefined {
    const value = this.raw[name];
    if (value === undefined || value === null) {
      if (rules.required) this.fail(name, value, 'Member must not be null');
      return undefined;
    }
    if (!Array.isArray(value)) this.fail(name, value, 'Member must be a list');
    if (rules.min !== undefined && value.length < rules.min) this.fail(name, '[...]', `Member must have length greater than or equal to ${rules.min}`);
    if (rules.max !== undefined && value.length > rules.max) this.fail(name, '[...]', `Member must have length less than or equal to ${rules.max}`);
    return value;
  }

  /** A list of structures, each read with its own ApiInput (path `name.N`, 1-based as AWS reports it). */
  objects(name: string, rules: { required?: boolean; min?: number; max?: number } = {}): ApiInput[] {
    const items = this.array(name, rules) ?? [];
    return items.map((item, index) => {
      const path = `${this.where(name)}.${index + 1}`;
      if (item === null || typeof item !== 'object' || Array.isArray(item))
        throw new SimError(this.errorCode, `1 validation error detected: Value at '${path}' failed to satisfy constraint: Member must be a structure`);
      return new ApiInput(item as Record<string, unknown>, this.errorCode, path);
    });
  }

  object(name: string, rules: { required?: boolean } = {}): ApiInput | undefined {
    const value = this.raw[name];
    if (value === undefined || value === null) {
      if (rules.required) this.fail(name, value, 'Member must not be null');
      return undefined;
    }
    if (typeof value !== 'object' || Array.isArray(value)) this.fail(name, value, 'Member must be a structure');
    return new ApiInput(value as Record<string, unknown>, this.errorCode, this.where(name));
  }

  strings(name: string, rules: { required?: boolean; min?: number; max?: number } = {}): string[] | undefined {
    const items = this.array(name, rules);
    if (!items) return undefined;
    for (const item of items) if (typeof item !== 'string') this.fail(name, item, 'Member must be a list of strings');
    return items as string[];
  }
}

export const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);

/** A deep copy of a JSON-shaped value, so stored resources never alias a caller's objects. */
export function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
