import { UnreadError } from '../errors';
import type { UnreadSource } from '../types';

export interface PendingRead {
  sessionId: string;
  signal: AbortSignal;
  resolve(count: number): void;
  reject(error: unknown): void;
}

let scopes = 0;

/** A source whose reads the test answers by hand, one at a time. */
export function manualSource(): UnreadSource & { reads: PendingRead[]; last(): PendingRead } {
  const reads: PendingRead[] = [];
  return {
    kind: 'manual',
    scope: `manual-${++scopes}`,
    reads,
    last() {
      const read = reads.at(-1);
      if (!read) throw new Error('no read was made');
      return read;
    },
    read(sessionId, { signal }) {
      return new Promise<number>((resolve, reject) => {
        reads.push({ sessionId, signal, resolve, reject });
      });
    },
  };
}

type Answer = number | UnreadError | ((sessionId: string) => number | UnreadError);

/** A source that answers at once from a script; the last answer repeats. */
export function scriptedSource(
  ...answers: Answer[]
): UnreadSource & { calls: string[]; marks: string[]; markError?: UnreadError | undefined } {
  const calls: string[] = [];
  const marks: string[] = [];
  const source = {
    kind: 'scripted',
    scope: `scripted-${++scopes}`,
    calls,
    marks,
    markError: undefined as UnreadError | undefined,
    async read(sessionId: string) {
      calls.push(sessionId);
      const next = answers.length > 1 ? answers.shift()! : answers[0]!;
      const answer = typeof next === 'function' ? next(sessionId) : next;
      if (answer instanceof UnreadError) throw answer;
      return answer;
    },
    async markAsRead(sessionId: string) {
      marks.push(sessionId);
      if (source.markError) throw source.markError;
    },
  };
  return source;
}

export const sessionA = 'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881';
export const sessionB = 'session_1b2c3d4e-0000-4000-8000-000000000001';
export const websiteId = '8c842203-7ed8-4e29-a608-7cf78a7d2fcc';
