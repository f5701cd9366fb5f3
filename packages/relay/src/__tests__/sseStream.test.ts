import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Heartbeat } from '../heartbeat';
import { sseBody } from '../sseBody';

describe('sseBody', () => {
  it('writes events as SSE (a data: line per line), comments as they are, then ends', async () => {
    const body = sseBody(() => {});
    body.write('retry: 1000\n\n');
    body.send({ event: 'count', data: '{"count":1}', id: '7' });
    body.send({ event: 'note', data: 'two\nlines' });
    body.write(': ping\n\n');
    body.close();
    body.write(': after the end\n\n');
    expect(body.closed).toBe(true);
    expect(await new Response(body.stream).text()).toBe(
      'retry: 1000\n\nevent: count\ndata: {"count":1}\nid: 7\n\nevent: note\ndata: two\ndata: lines\n\n: ping\n\n',
    );
  });

  it('refuses an event name or id with a line break (it would start another field)', () => {
    const body = sseBody(() => {});
    expect(() => body.send({ event: 'count\ndata: 9', data: '{}' })).toThrow(/line break/);
    expect(() => body.send({ event: 'count', data: '{}', id: '1\r2' })).toThrow(/line break/);
  });

  it('tells when the client cancels, and writes nothing after', async () => {
    const cancelled = vi.fn();
    const body = sseBody(cancelled);
    const reader = body.stream.getReader();
    body.write(': ping\n\n');
    await reader.read();
    await reader.cancel();
    expect(cancelled).toHaveBeenCalledOnce();
    expect(body.closed).toBe(true);
    expect(() => body.write(': ping\n\n')).not.toThrow();
    expect(() => body.close()).not.toThrow();
  });
});

describe('Heartbeat', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('beats every stream from one timer, which stops with the last stream', () => {
    const heartbeat = new Heartbeat(15_000);
    const beats = { a: 0, b: 0 };
    const leaveA = heartbeat.add(() => beats.a++);
    vi.advanceTimersByTime(10_000);
    const leaveB = heartbeat.add(() => beats.b++);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(5_000);
    // The second stream's first beat comes within one period of its opening.
    expect(beats).toEqual({ a: 1, b: 1 });
    vi.advanceTimersByTime(30_000);
    expect(beats).toEqual({ a: 3, b: 3 });
    leaveA();
    vi.advanceTimersByTime(15_000);
    expect(beats).toEqual({ a: 3, b: 4 });
    leaveB();
    expect(vi.getTimerCount()).toBe(0);
    expect(heartbeat.size).toBe(0);
    // Joined again, it starts again.
    const leaveC = heartbeat.add(() => beats.a++);
    vi.advanceTimersByTime(15_000);
    expect(beats.a).toBe(4);
    leaveC();
    leaveC();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('beats the streams left when one leaves during a beat', () => {
    const heartbeat = new Heartbeat(1_000);
    const heard: string[] = [];
    const leaveA = heartbeat.add(() => {
      heard.push('a');
      leaveA();
    });
    heartbeat.add(() => heard.push('b'));
    vi.advanceTimersByTime(2_000);
    expect(heard).toEqual(['a', 'b', 'b']);
  });
});
