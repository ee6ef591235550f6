import { describe, expect, it } from 'vitest';
import { EventBus, eventBus } from '../src/index.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('EventBus.emitAndWait', () => {
  it('resolves when there are no listeners', async () => {
    await expect(new EventBus().emitAndWait('exit')).resolves.toBeUndefined();
  });

  it('passes the arguments to every listener', async () => {
    const bus = new EventBus();
    const seen: boolean[] = [];
    bus.on('persistState', ({ isMigrating }) => {
      seen.push(isMigrating);
    });
    bus.on('persistState', async (event) => {
      seen.push(event.isMigrating);
    });
    await bus.emitAndWait('persistState', { isMigrating: true });
    expect(seen).toEqual([true, true]);
  });

  it('waits for every async listener to finish', async () => {
    const bus = new EventBus();
    const done: string[] = [];
    bus.on('persistState', async () => {
      await sleep(30);
      done.push('slow');
    });
    bus.on('persistState', async () => {
      await sleep(5);
      done.push('fast');
    });
    bus.on('persistState', () => {
      done.push('sync');
    });
    const pending = bus.emitAndWait('persistState', { isMigrating: false });
    expect(done).toEqual(['sync']);
    await pending;
    expect(done.sort()).toEqual(['fast', 'slow', 'sync']);
  });

  it('runs listeners concurrently, not one after another', async () => {
    const bus = new EventBus();
    let running = 0;
    let maxRunning = 0;
    for (let i = 0; i < 3; i++) {
      bus.on('migrating', async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await sleep(10);
        running--;
      });
    }
    await bus.emitAndWait('migrating');
    expect(maxRunning).toBe(3);
    expect(running).toBe(0);
  });

  it('rejects with the error of a failing async listener, after the others have finished', async () => {
    const bus = new EventBus();
    const failure = new Error('could not save');
    let slowFinished = false;
    bus.on('persistState', async () => {
      await sleep(1);
      throw failure;
    });
    bus.on('persistState', async () => {
      await sleep(25);
      slowFinished = true;
    });
    await expect(bus.emitAndWait('persistState', { isMigrating: false })).rejects.toBe(failure);
    expect(slowFinished).toBe(true);
  });

  it('rejects when a sync listener throws, and still calls the listeners after it', async () => {
    const bus = new EventBus();
    const calls: string[] = [];
    bus.on('aborting', () => {
      calls.push('first');
      throw new Error('sync failure');
    });
    bus.on('aborting', () => {
      calls.push('second');
    });
    await expect(bus.emitAndWait('aborting')).rejects.toThrow('sync failure');
    expect(calls).toEqual(['first', 'second']);
  });

  it('calls once-listeners once', async () => {
    const bus = new EventBus();
    let calls = 0;
    bus.once('exit', async () => {
      calls++;
    });
    await bus.emitAndWait('exit');
    await bus.emitAndWait('exit');
    expect(calls).toBe(1);
  });

  it('removes a once-listener even when it fails, and keeps a regular registration of the same function', async () => {
    const bus = new EventBus();
    let calls = 0;
    const listener = async (): Promise<void> => {
      calls++;
      throw new Error('fails');
    };
    bus.once('exit', listener);
    await expect(bus.emitAndWait('exit')).rejects.toThrow('fails');
    expect(bus.listenerCount('exit')).toBe(0);
    await bus.emitAndWait('exit');
    expect(calls).toBe(1);

    const counted: string[] = [];
    const both = (): void => void counted.push('call');
    bus.on('exit', both);
    bus.once('exit', both);
    await bus.emitAndWait('exit');
    expect(counted).toHaveLength(2);
    expect(bus.listenerCount('exit')).toBe(1);
    await bus.emitAndWait('exit');
    expect(counted).toHaveLength(3);
  });

  it('does not call removed listeners', async () => {
    const bus = new EventBus();
    let calls = 0;
    const listener = (): void => {
      calls++;
    };
    bus.on('exit', listener);
    bus.off('exit', listener);
    await bus.emitAndWait('exit');
    expect(calls).toBe(0);
  });

  it('only calls listeners of the emitted event', async () => {
    const bus = new EventBus();
    const calls: string[] = [];
    bus.on('exit', () => void calls.push('exit'));
    bus.on('aborting', () => void calls.push('aborting'));
    await bus.emitAndWait('exit');
    expect(calls).toEqual(['exit']);
  });
});

describe('the shared eventBus', () => {
  it('is an EventBus', () => {
    expect(eventBus).toBeInstanceOf(EventBus);
  });
});
