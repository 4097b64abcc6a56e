/** Default listening address and port: loopback only, so a first start exposes nothing. */
export const defaultHost = '127.0.0.1';
export const defaultPort = 8470;
