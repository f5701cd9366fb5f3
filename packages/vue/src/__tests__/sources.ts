import { UnreadError, type UnreadReading, type UnreadSource } from '@crisp-unread/core';

let scopes = 0;

type Answer = number | UnreadReading | UnreadError;

/** A source that answers at once from a script; the last answer repeats. */
export function scriptedSource(...answers: Answer[]): UnreadSource & { calls: string[] } {
  const calls: string[] = [];
  return {
    kind: 'scripted',
    scope: `vue-scripted-${++scopes}`,
    calls,
    async read(sessionId) {
      calls.push(sessionId);
      const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
      if (answer instanceof UnreadError) throw answer;
      return answer;
    },
  };
}

export const serverError = () => new UnreadError('server', 'The Crisp API answered 500.');

export const sessionA = 'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881';
export const sessionB = 'session_1b2c3d4e-0000-4000-8000-000000000001';
