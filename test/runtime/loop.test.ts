// queueTask: user-visible callbacks run as tasks, after the current one, in order, with microtasks
// (and process.nextTick) drained between two of them.
import { describe, expect, it } from 'vitest';
import { queueTask } from '../../runtime/util/loop.ts';

describe('queueTask', () => {
  it('runs after the current task and its microtasks, in queue order, with its arguments', async () => {
    const order: string[] = [];
    const done = new Promise<void>((resolve) => {
      queueTask((a: string, b: number) => order.push(`task ${a} ${b}`), 'one', 1);
      queueTask(() => {
        order.push('task two');
        resolve();
      });
    });
    queueMicrotask(() => order.push('microtask'));
    order.push('sync');
    await done;
    expect(order).toEqual(['sync', 'microtask', 'task one 1', 'task two']);
  });

  it('drains microtasks and nextTicks queued by one task before the next task runs', async () => {
    const order: string[] = [];
    const done = new Promise<void>((resolve) => {
      queueTask(() => {
        order.push('task 1');
        process.nextTick(() => order.push('tick from 1'));
        void Promise.resolve()
          .then(() => order.push('microtask from 1'))
          .then(() => order.push('chained microtask from 1'));
      });
      queueTask(() => {
        order.push('task 2');
        resolve();
      });
    });
    await done;
    expect(order).toEqual(['task 1', 'tick from 1', 'microtask from 1', 'chained microtask from 1', 'task 2']);
  });

  it('runs a task queued by a task after the tasks already queued', async () => {
    const order: string[] = [];
    await new Promise<void>((resolve) => {
      queueTask(() => {
        order.push('a');
        queueTask(() => {
          order.push('c');
          resolve();
        });
      });
      queueTask(() => order.push('b'));
    });
    expect(order).toEqual(['a', 'b', 'c']);
  });
});
