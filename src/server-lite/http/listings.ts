// Listings as streamed responses: the registry's JSON text pieces are read as the client takes them (backpressure),
// so a listing's memory does not grow with its length, and only so many are streamed at once; the others wait
// their turn a little, then get 503 with Retry-After.
import { Readable } from 'node:stream';
import { setImmediate } from 'node:timers/promises';
import type { FastifyReply } from 'fastify';
import { ApiError, JSON_TYPE } from './errors.js';

export interface ListingLimits {
  /** Listings streamed at once. */
  concurrency: number;
  /** How long a listing waits for its turn before it is answered 503 (ms). */
  waitMs: number;
}

export const DEFAULT_LISTING_LIMITS: ListingLimits = { concurrency: 8, waitMs: 5_000 };

/** Seconds a client turned away is told to wait. */
const RETRY_AFTER_S = 1;

/** Turns for the listings: `concurrency` at a time, the others in order of arrival. */
export class ListingGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limits: ListingLimits) {}

  /** A turn, to be given back by calling the function it resolves with; undefined when none came within waitMs. */
  enter(): Promise<(() => void) | undefined> {
    if (this.running < this.limits.concurrency) {
      this.running++;
      return Promise.resolve(this.release());
    }
    return new Promise((resolve) => {
      const turn = () => {
        clearTimeout(timer);
        resolve(this.release());
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(turn), 1);
        resolve(undefined);
      }, this.limits.waitMs);
      this.waiting.push(turn);
    });
  }

  /** Gives the turn to the next waiting listing (it keeps the count running), or frees it; once. */
  private release(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    };
  }
}

/** Streams `listing` once it has a turn, which it holds until the response is over (sent, failed or abandoned). */
export async function sendListing(reply: FastifyReply, gate: ListingGate, listing: Iterable<string>) {
  const release = await gate.enter();
  if (!release) {
    reply.header('retry-after', String(RETRY_AFTER_S));
    throw new ApiError(503, 'ServiceUnavailable', 'too many listings are being sent right now; retry in a moment');
  }
  const body = listingBody(listing);
  body.once('close', release);
  return reply.type(JSON_TYPE).send(body);
}

/**
 * The listing's pieces as a byte stream, read as the client takes them, each after the event loop has turned:
 * while a client takes them as fast as they come, stream callbacks alone would otherwise produce the whole listing
 * before any other request is read.
 */
export function listingBody(listing: Iterable<string>): Readable {
  return Readable.from(takingTurns(listing), { objectMode: false });
}

async function* takingTurns(listing: Iterable<string>): AsyncGenerator<string> {
  for (const piece of listing) {
    yield piece;
    await setImmediate();
  }
}
