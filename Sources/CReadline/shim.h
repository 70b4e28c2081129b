// GNU readline, plus setters for its global callbacks (Swift 6 cannot assign C globals safely).
#ifndef BANDIT_CREADLINE_SHIM_H
#define BANDIT_CREADLINE_SHIM_H
#include <stdio.h>
#include <readline/readline.h>
#include <readline/history.h>

typedef char **(*bandit_completion_function)(const char *text, int start, int end);
typedef void (*bandit_line_handler)(char *line);

static inline void bandit_rl_set_name(const char *name) { rl_readline_name = name; }
static inline void bandit_rl_set_completion(bandit_completion_function f) { rl_attempted_completion_function = f; }
/// 1: our candidates are final; 0: let readline fall back to file names.
static inline void bandit_rl_completion_over(int over) { rl_attempted_completion_over = over; }
static inline void bandit_rl_catch_signals(int catch_them) { rl_catch_signals = catch_them; rl_catch_sigwinch = 1; }
static inline const char *bandit_rl_line_buffer(void) { return rl_line_buffer; }
static inline int bandit_rl_point(void) { return rl_point; }
static inline void bandit_rl_set_word_breaks(const char *breaks) { rl_basic_word_break_characters = breaks; }
static inline void bandit_rl_install(const char *prompt, bandit_line_handler handler) {
    rl_callback_handler_install(prompt, handler);
}
/// After Ctrl-C at the prompt: drop the partial line and show a fresh prompt.
static inline void bandit_rl_interrupt_line(void) {
    rl_free_line_state();
    rl_callback_sigcleanup();
    rl_replace_line("", 0);
    rl_crlf();
    rl_on_new_line();
    rl_redisplay();
}
/// The history's entry `offset` lines back from the newest (0: the newest), or NULL.
static inline const char *bandit_history_line(int offset) {
    HIST_ENTRY *entry = history_get(history_base + history_length - 1 - offset);
    return entry ? entry->line : NULL;
}
static inline int bandit_history_length(void) { return history_length; }
static inline int bandit_history_base(void) { return history_base; }
#endif
