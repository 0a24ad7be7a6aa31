/**
 * Configuration of {@code tern server}: every setting once ({@link io.ternkv.shell.config.Setting}),
 * read from a config file (Java properties or YAML), {@code TERN_*} environment variables and
 * flags, with precedence flags over environment over file over defaults ({@link
 * io.ternkv.shell.config.ServerSettings}). Each value remembers where it came from, so an error
 * or the printed effective configuration can say so.
 */
package io.ternkv.shell.config;
