// Installs krandog's globals before the user's script runs (imported first by every bundle).
import http, { serve } from './http/index.ts';
import { assert, assertEqual, run, test } from './test-runner.ts';
import { WebSocket } from './ws/client/websocket.ts';
import { CloseEvent, ErrorEvent } from './ws/client/events.ts';

Object.assign(globalThis, { http, serve });
Object.assign(globalThis, { test, assert, assertEqual, run });
// The browser WebSocket replaces Node's own (22+); its events' classes go with it (see ws/client/events.ts).
Object.assign(globalThis, { WebSocket, CloseEvent, ErrorEvent });
