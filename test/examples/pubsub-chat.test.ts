// examples/pubsub-chat.js under `krandog --workers 2`, driven by `ws` clients: rooms are topics,
// messages stay in their room, /join moves, leaving is announced, whichever worker holds whom.
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { within } from '../helpers/within.ts';
import { killAll, startTrackedKrandog } from '../helpers/pubsub-processes.ts';

afterEach(killAll);

class Member {
  readonly lines: string[] = [];
  readonly socket: WebSocket;
  #wake: (() => void) | undefined;

  constructor(port: number, name: string, room: string) {
    this.socket = new WebSocket(`ws://127.0.0.1:${port}/?name=${name}&room=${room}`);
    this.socket.on('message', (data: Buffer) => {
      this.lines.push(data.toString());
      this.#wake?.();
    });
  }

  /** Waits for `line`, then returns everything received so far and forgets it. */
  async expect(line: string): Promise<string[]> {
    const wait = async (): Promise<void> => {
      while (!this.lines.includes(line)) await new Promise<void>((resolve) => (this.#wake = resolve));
    };
    await within(wait(), 10_000, `never got ${JSON.stringify(line)}; got ${JSON.stringify(this.lines)}`);
    return this.lines.splice(0);
  }
}

describe('examples/pubsub-chat.js', () => {
  it('keeps each room to itself across two workers, moves with /join and announces leaving', async () => {
    const run = startTrackedKrandog(['--workers', '2', 'examples/pubsub-chat.js'], { PORT: '0' });
    const [first] = await run.waitFor(/Server listening on http:\/\/localhost:(\d+)/g, 2);
    const port = Number(first[1]);

    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(await page.text()).toContain('<title>krandog rooms</title>');

    // Joining one by one: the primary hands connections to the workers in turn (round-robin), so
    // neighbours are served by different processes and every notice crosses between them.
    const ada = new Member(port, 'ada', 'general');
    await ada.expect('* ada joined #general');
    const bob = new Member(port, 'bob', 'general');
    await ada.expect('* bob joined #general');
    await bob.expect('* bob joined #general');
    const cy = new Member(port, 'cy', 'games');
    await cy.expect('* cy joined #games');

    bob.socket.send('hello general');
    expect(await ada.expect('bob: hello general')).toEqual(['bob: hello general']);
    await bob.expect('bob: hello general');
    cy.socket.send('hello games');
    await cy.expect('cy: hello games');

    bob.socket.send('/join games');
    await ada.expect('* bob left #general');
    await cy.expect('* bob joined #games');
    bob.socket.send('/rooms');
    await bob.expect('* you are in #games');
    cy.socket.send('now two of us');
    await bob.expect('cy: now two of us');

    cy.socket.close();
    await bob.expect('* cy left #games');
    // ada, in another room, heard none of it.
    ada.socket.send('anyone?');
    expect(await ada.expect('ada: anyone?')).toEqual(['ada: anyone?']);
    for (const member of [ada, bob]) {
      member.socket.close();
      await once(member.socket, 'close');
    }
  });
});
