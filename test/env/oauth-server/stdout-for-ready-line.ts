// stdout carries the server's one ready line and nothing else, but oidc-provider prints NOTICEs through
// console.info: everything console prints goes to stderr. main.ts imports this first, before oidc-provider loads.
console.info = (...args: unknown[]) => console.error(...args);
console.log = (...args: unknown[]) => console.error(...args);

export {};
