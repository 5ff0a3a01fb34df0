// Installs krandog's globals before the user's script runs (imported first by every bundle).
import http, { serve } from './http/index.ts';
import { assert, assertEqual, run, test } from './test-runner.ts';

Object.assign(globalThis, { http, serve });
Object.assign(globalThis, { test, assert, assertEqual, run });
