/** The {@code tern} launcher and its commands: {@code server} and {@code demo}. */
package io.ternkv.shell;
