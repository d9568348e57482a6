import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { fromLoopback, isLoopback } from './guard.js';

function request(remoteAddress: string, headers: Record<string, string> = {}): IncomingMessage {
  return { socket: { remoteAddress }, headers } as unknown as IncomingMessage;
}

describe('fromLoopback', () => {
  it('accepts this host in every spelling', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) {
      expect(isLoopback(address)).toBe(true);
      expect(fromLoopback(request(address))).toBe(true);
    }
  });

  it('refuses another host, and this host relaying another', () => {
    expect(fromLoopback(request('10.0.0.4'))).toBe(false);
    expect(fromLoopback(request('127.0.0.1', { 'x-forwarded-for': '198.51.100.7' }))).toBe(false);
    expect(fromLoopback(request('127.0.0.1', { 'x-forwarded-for': '127.0.0.1, 198.51.100.7' }))).toBe(false);
    expect(
      fromLoopback(request('127.0.0.1', { forwarded: 'for=192.0.2.60;proto=http;by=203.0.113.43' })),
    ).toBe(false);
    expect(fromLoopback(request('::1', { forwarded: 'for="[2001:db8:cafe::17]:4711"' }))).toBe(false);
  });

  it('accepts this host relaying this host', () => {
    expect(fromLoopback(request('127.0.0.1', { 'x-forwarded-for': '127.0.0.1' }))).toBe(true);
    expect(fromLoopback(request('127.0.0.1', { 'x-forwarded-for': '127.0.0.1:5123' }))).toBe(true);
    expect(fromLoopback(request('127.0.0.1', { forwarded: 'for="[::1]:4711"' }))).toBe(true);
  });
});
