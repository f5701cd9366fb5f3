import { describeValue, isSessionId } from './ids.js';
import type { Fault, FaultHandle, FaultOptions } from './types.js';

interface ActiveFault {
  fault: Fault;
  remaining: number;
  sessionId: string | undefined;
  method: string | undefined;
}

const faultTypes: ReadonlySet<string> = new Set<Fault['type']>([
  'latency',
  'server-error',
  'rate-limit',
  'html',
  'truncated-json',
  'drop',
  'hang',
  'body',
]);

/** Faults in the order they were added; the first matching one answers a request. */
export class FaultQueue {
  #faults: ActiveFault[] = [];

  add(fault: Fault, options: FaultOptions = {}): FaultHandle {
    const active: ActiveFault = {
      fault: validateFault(fault),
      remaining: validateTimes(options.times),
      sessionId: validateSessionFilter(options.sessionId),
      method: validateMethodFilter(options.method),
    };
    this.#faults.push(active);
    return { clear: () => this.#remove(active) };
  }

  /** Takes the first fault matching the request, counting one of its `times` down. */
  take(method: string, sessionId: string | null): Fault | null {
    const active = this.#faults.find(
      (candidate) =>
        (candidate.method === undefined || candidate.method === method) &&
        (candidate.sessionId === undefined || candidate.sessionId === sessionId),
    );
    if (!active) return null;
    active.remaining -= 1;
    if (active.remaining <= 0) this.#remove(active);
    return active.fault;
  }

  clear(): void {
    this.#faults = [];
  }

  #remove(active: ActiveFault): void {
    this.#faults = this.#faults.filter((candidate) => candidate !== active);
  }
}

function invalid(what: string, expected: string, value: unknown): TypeError {
  return new TypeError(`fault: ${what} must be ${expected}, got ${describeValue(value)}`);
}

function optionalStatus(value: unknown, min: number, max: number, what: string): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(what, `an integer from ${min} to ${max}`, value);
  }
}

/** Checks a fault's shape (faults also arrive as JSON over the control API) and copies it. */
export function validateFault(value: unknown): Fault {
  if (typeof value !== 'object' || value === null) {
    throw invalid('the fault', 'an object with a `type`', value);
  }
  const fault = value as Record<string, unknown>;
  if (typeof fault.type !== 'string' || !faultTypes.has(fault.type)) {
    throw invalid('type', `one of ${[...faultTypes].join(', ')}`, fault.type);
  }
  switch (fault.type) {
    case 'latency':
      if (typeof fault.ms !== 'number' || !Number.isFinite(fault.ms) || fault.ms < 0) {
        throw invalid('latency ms', 'a non-negative number', fault.ms);
      }
      return { type: 'latency', ms: fault.ms };
    case 'server-error':
      optionalStatus(fault.status, 400, 599, 'server-error status');
      return { type: 'server-error', status: fault.status as number | undefined };
    case 'rate-limit': {
      if (fault.status !== undefined && fault.status !== 420 && fault.status !== 429) {
        throw invalid('rate-limit status', '420 or 429', fault.status);
      }
      const retryAfter = fault.retryAfter;
      const validNumber =
        typeof retryAfter === 'number' && Number.isFinite(retryAfter) && retryAfter >= 0;
      const validString = typeof retryAfter === 'string' && /^[\x20-\x7e]+$/.test(retryAfter);
      if (retryAfter !== undefined && !validNumber && !validString) {
        throw invalid('rate-limit retryAfter', 'seconds or a printable string', retryAfter);
      }
      return {
        type: 'rate-limit',
        status: fault.status as 420 | 429 | undefined,
        retryAfter: retryAfter as number | string | undefined,
      };
    }
    case 'html':
      optionalStatus(fault.status, 200, 599, 'html status');
      return { type: 'html', status: fault.status as number | undefined };
    case 'body':
      optionalStatus(fault.status, 200, 599, 'body status');
      if (fault.body === undefined) throw invalid('body', 'a JSON value', fault.body);
      return { type: 'body', status: fault.status as number | undefined, body: fault.body };
    default:
      return { type: fault.type as 'truncated-json' | 'drop' | 'hang' };
  }
}

function validateTimes(times: unknown): number {
  if (times === undefined) return Number.POSITIVE_INFINITY;
  if (typeof times !== 'number' || !Number.isInteger(times) || times < 1) {
    throw invalid('times', 'a positive integer', times);
  }
  return times;
}

function validateSessionFilter(sessionId: unknown): string | undefined {
  if (sessionId === undefined) return undefined;
  if (!isSessionId(sessionId)) throw invalid('sessionId', "'session_' and a UUID", sessionId);
  return sessionId;
}

function validateMethodFilter(method: unknown): string | undefined {
  if (method === undefined) return undefined;
  if (method !== 'GET' && method !== 'HEAD' && method !== 'PATCH') {
    throw invalid('method', "'GET', 'HEAD' or 'PATCH'", method);
  }
  return method;
}
