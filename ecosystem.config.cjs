/**
 * PM2 (https://pm2.keymetrics.io): `npm run build && pm2 start ecosystem.config.cjs` runs the
 * publishing worker (dist/worker.js, Node); with SOLOSPARK_PM2_API=true in the environment of that
 * command, the HTTP API (dist/api.js) as well. The settings come from the environment of the `pm2`
 * command, as everywhere (docs/configuration.md); `pm2 save` + `pm2 startup` keep them across boots.
 *
 * - Restart on crash (`autorestart`), with an exponential back-off; a bad configuration (exit 2)
 *   is not restarted, since a restart cannot fix it.
 * - Graceful stop and reload: PM2 sends SIGINT, which starts the worker's graceful shutdown; it waits
 *   `kill_timeout` before SIGKILL, longer than the worker's own watchdog (SHUTDOWN_TIMEOUT_MS + 5 s
 *   abort grace + 10 s, src/entry/run-worker.ts), so active publishes finish or settle first.
 * - `wait_ready`: a started or reloaded worker counts as online only once it consumes (it sends
 *   process.send('ready') then); `pm2 reload` stops the old one only after that.
 * - /health, /ready and /metrics on WORKER_HTTP_PORT (default here 9464, on 127.0.0.1). With
 *   SOLOSPARK_WORKERS=N > 1, instance i listens on WORKER_HTTP_PORT + i (`increment_var`).
 * - Logs: JSON lines in PM2's log files ($PM2_HOME/logs/solospark-worker-out.log and -error.log, see
 *   `pm2 logs`); rotate them with pm2-logrotate or logrotate's copytruncate.
 *
 * Details and a systemd unit for machines without PM2: docs/operations.md, "Process managers".
 */
const env = process.env;

/** As in src/config/config-schema.ts: SHUTDOWN_TIMEOUT_MS (Default: 30000). */
const shutdownTimeoutMs = Number(env.SHUTDOWN_TIMEOUT_MS || 30000);
/** run-worker.ts's watchdog (shutdown timeout + 5 s abort grace + 10 s), plus 5 s to exit. */
const workerKillTimeoutMs = shutdownTimeoutMs + 5000 + 10000 + 5000;

const worker = {
  name: 'solospark-worker',
  script: 'dist/worker.js',
  cwd: __dirname,
  exec_mode: 'fork',
  instances: Number(env.SOLOSPARK_WORKERS || 1),
  autorestart: true,
  exp_backoff_restart_delay: 200,
  // A crash within this long of a start counts as unstable; after max_restarts of those PM2 gives up.
  min_uptime: 10000,
  max_restarts: 20,
  stop_exit_codes: [2],
  wait_ready: true,
  // Start-up waits up to 5 s for Redis, then the database and the first reconcile pass.
  listen_timeout: 60000,
  kill_timeout: workerKillTimeoutMs,
  increment_var: 'WORKER_HTTP_PORT',
  env: {
    NODE_ENV: 'production',
    WORKER_HTTP_PORT: env.WORKER_HTTP_PORT || '9464',
  },
};

const api = {
  name: 'solospark-api',
  script: 'dist/api.js',
  cwd: __dirname,
  exec_mode: 'fork',
  autorestart: true,
  exp_backoff_restart_delay: 200,
  min_uptime: 10000,
  max_restarts: 20,
  stop_exit_codes: [2],
  // node-api.ts exits by itself within 15 s of SIGINT.
  kill_timeout: 20000,
  env: { NODE_ENV: 'production' },
};

module.exports = {
  apps: env.SOLOSPARK_PM2_API === 'true' ? [worker, api] : [worker],
};
