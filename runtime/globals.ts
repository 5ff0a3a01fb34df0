// Installs krandog's globals before the user's script runs (imported first by every bundle).
import http, { serve } from './http/index.ts';

Object.assign(globalThis, { http, serve });
