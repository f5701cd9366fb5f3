// rate-limiter-flexible's index requires every limiter it has, the cluster one with `cluster` and
// `crypto`, which workerd and a neutral bundle cannot load; its two files the relay uses require
// nothing from Node. The package declares its types on the index only.
declare module 'rate-limiter-flexible/lib/RateLimiterMemory.js' {
  import { RateLimiterMemory } from 'rate-limiter-flexible';
  export default RateLimiterMemory;
}
declare module 'rate-limiter-flexible/lib/RateLimiterRedis.js' {
  import { RateLimiterRedis } from 'rate-limiter-flexible';
  export default RateLimiterRedis;
}
