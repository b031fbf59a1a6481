-- Who started a training run: the console user's email, the API key's
-- name, "cli" or "auto". triggered_by keeps saying through which door
-- (cli, api, console, auto). Runs from before this migration have ''.
ALTER TABLE training_runs ADD COLUMN started_by TEXT NOT NULL DEFAULT '';
