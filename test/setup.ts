// Every test file: fixed time zone, and an unhandled rejection fails the run
// instead of being printed and forgotten.
process.env.TZ = "UTC";
process.on("unhandledRejection", (reason) => {
  throw reason instanceof Error ? reason : new Error(`unhandled rejection: ${String(reason)}`);
});
