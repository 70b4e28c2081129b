// man/bandit.1, generated: the COMMANDS section comes from the command table, so it cannot drift.

/// The manual page of `bandit`. `make man` writes it to man/bandit.1; a test fails when the committed
/// page differs from what the table generates.
public enum ManPage {
    public static func bandit(date: String = "2026-11-29") -> String {
        var page = """
            .\\" Generated from the command table by `make man`; edit Sources/BanditCommands, not this file.
            .TH BANDIT 1 \(date) "bandit" "User Commands"
            .SH NAME
            bandit \\- simulate how a contextual-bandit recommender learns from its own logs
            .SH SYNOPSIS
            .B bandit
            .RB [ \\-\\-state\\-dir
            .IR DIR ]
            .RB [ \\-e
            .IR NAME ]
            .RB [ \\-\\-no\\-daemon ]
            .RB [ \\-\\-keep\\-going ]
            .RB [ \\-\\-format
            .IR FORMAT ]
            .RB [ \\-c
            .IR "'CMD; CMD'" ]
            .RI [ SCRIPT ]
            .br
            .B bandit
            .RB [ \\-\\-state\\-dir
            .IR DIR ]
            .RB [ \\-\\-no\\-daemon ]
            .B shard
            .I PLAN INDEX
            .SH DESCRIPTION
            .B bandit
            simulates a contextual\\-bandit recommender day by day. Users described by binary features arrive
            (feature 0 is the constant 1), the live policy picks one of K posts for each, the viewing time
            exp(mean(c\\(pcw) + \\(*s\\(pcN(0,1)) is observed and logged with the propensity of the choice, and a
            fit refits per\\-post least squares on all the run's logs. Experiments, logged decisions,
            checkpoints of the coefficients and bootstrap ensembles, the generators' states, results and jobs
            are kept in one SQLite database in the state directory.
            .PP
            Commands execute in
            .BR banditd (8),
            the daemon of the state directory, which
            .B bandit
            starts when none answers; long work goes on there after the REPL leaves, several REPLs see the
            same state, and work interrupted by a crash resumes when the daemon starts again. A command
            ending in
            .B &
            (runs, compare, day, step, resume) runs in the background;
            .BR jobs ,
            .B wait
            and
            .B cancel
            follow it.
            .PP
            On a terminal,
            .B bandit
            is a REPL with GNU readline: history kept across sessions, tab completion of commands, keywords,
            policies, experiment names and file paths, Ctrl\\-C to stop a running command at the next day
            boundary (completed days are kept;
            .B resume
            continues the work) or to clear the line, Ctrl\\-D to leave. The prompt shows the current
            experiment.
            .PP
            While a job plays, standard error (when it is a terminal) shows its progress as cargo and tqdm
            do: a bar, then the percentage, the days done, the rate and the time left, as in
            .IR "42%  6/14 days  2.1 days/s  ETA 0:04  runs 40 days 14" ;
            a job that took more than a second then says how long:
            .IR "runs 40 days 14: 14 days in 6.7 s (2.1 days/s)" .
            .PP
            Otherwise (a pipe, a file,
            .BR \\-c )
            it reads commands one per line without prompt or echo, running each line as it arrives;
            .B #
            starts a comment,
            .B ;
            separates commands and
            .B &
            ends one that runs in the background, as in a shell
            .RB ( "runs 40 & stats" ).
            The first error stops the script with its message on standard error and exit
            status 1, unless
            .B \\-\\-keep\\-going
            is given. Output is plain text, or JSON or CSV for programs (see
            .BR "OUTPUT FOR SCRIPTS" ).
            .PP
            Any unique prefix of a command works. Every bad input gets a one\\-line error and changes nothing.
            .SH OUTPUT FOR SCRIPTS
            .B \\-\\-format json
            (or the command
            .B format json
            in the REPL, which holds for the rest of the session, as the sqlite3 shell's
            .B .mode
            does) writes each table and each sentence of a reply as one JSON object on a line of its own, so
            that a program can read the output line by line. A table is
            .IP
            {"command": "stats", "title": "stored results: ...", "columns": ["day", "greedy", "greedy se"],
            "rows": [[1, 1.0741878901912767, 0.19638335173369453], ...], "footer": ["greedy (3 runs): ..."]}
            .PP
            (title null when the table has none, footer the sentences printed under it, [] when none), a
            sentence
            .IP
            {"command": "runs 40 days 14", "text": "job 3 finished: runs 40 days 14"}
            .PP
            and a reply of several (stats) is several lines, each naming its command. Numbers are JSON
            numbers, integers without a decimal point, the others in shortest round\\-trip form (they read
            back as the very doubles stored; a value that is not finite is null); a cell with no value is
            null. A mean and its error (stats' stored results, plot, betas of an ensemble) is two columns,
            .I NAME
            and
            .I "NAME se"
            (betas:
            .IR "\\(*bj spread" );
            a job's progress two,
            .I "days done"
            and
            .IR "days total" ;
            the current experiment of
            .B experiments
            is the boolean column
            .IR current .
            A plot is written as its table of numbers.
            .PP
            .B \\-\\-format csv
            writes each table as a header row of those column names, then its rows (RFC 4180: a field with a
            comma, a quote, a line break or spaces at its ends is quoted, quotes doubled; lines end in a
            newline; no value is an empty field), a blank line between two tables, and sentences as they
            are; titles and footers are left out.
            .B \\-\\-format table
            (the default) aligns them for people. In every format errors go to standard error as sentences.
            .SH SEVERAL CLIENTS AND JOBS
            Any number of REPLs and scripts may use one daemon at once, while jobs run beside them.
            .IP \\(bu 2
            Reads never wait for a job:
            .BR stats ,
            .BR jobs ,
            .BR experiments ,
            .BR settings ,
            .BR betas ,
            .BR log ,
            .BR plot ,
            .B export
            and
            .B help
            answer from committed state (the last committed day of every run) while jobs run.
            .IP \\(bu 2
            At most one job plays an experiment at a time. While one does, the commands that would write
            to that experiment
            .RB ( world ,
            .BR seed ,
            .BR policy ,
            .BR set ,
            .BR reset ,
            .BR fit ,
            .BR day ,
            .BR step ,
            .BR runs ,
            .BR compare ,
            .BR resume ,
            .BR drop )
            are refused at once, changing nothing, with a sentence that names the job and the way out:
            .IR "job 3 is playing e: \\(aqwait 3\\(aq or \\(aqcancel 3\\(aq first" .
            Writes to other experiments go ahead.
            .IP \\(bu 2
            Writes are applied one at a time, in the order they reach the daemon; a command that is refused
            changes nothing.
            .IP \\(bu 2
            A background job that ends is announced at the next prompt of the REPL that started it, as a
            shell announces a finished job:
            .IR "[job 3] finished: runs 40 days 14" .
            A job that fails is stored as failed with its message, which
            .B jobs
            shows; one stopped by a full disk or an I/O error is left interrupted, and
            .B resume
            continues it once the cause is gone.
            .SH RESOURCES
            Before
            .BR world ,
            .BR policy ,
            .B set
            and every job
            .RB ( runs ,
            .BR compare ,
            .BR day ,
            .BR step ,
            .BR resume )
            the program estimates what the work will take, from the sizes of the engine's buffers: the most
            memory it holds at once (the ensembles' coefficients, B \\(mu K \\(mu d doubles, with their copies on
            the way to the store; X\\(aqX per post; the log a Thompson\\-sampling run keeps for its refits; the
            day's decisions) and the bytes it adds to the database (about 31 per logged decision, and each
            run's last checkpoint). Work that does not fit is refused, changing nothing, with one sentence
            giving the estimate and the limit:
            .IR "runs 1000000 days 14: the job would write about 50 TB to DIR/bandit.db; the limit is 40 GB (half the free space; disk_limit in bandit.conf sets another)" .
            The limits are
            .B memory_limit
            (default: half the machine's memory, or of its cgroup's limit), counting the jobs already
            running, and
            .B disk_limit
            (default: half the file system's free space when the job starts, less what running jobs have
            still to write), both in
            .IR bandit.conf .
            A checkpoint larger than SQLite keeps in one value (1 GB) is refused whatever the limits. A job
            that needs a quarter of a limit or more (or over 1 GB) says its estimate as it starts.
            .PP
            A job during which the daemon died twice in a row without completing a day (one that needs more
            than the machine has, despite the estimate) is not resumed again at each start: it is stored as
            failed with the reason, the daemon serves the rest, and
            .B resume
            (or
            .BR "resume J" )
            retries it when asked.
            .SH OPTIONS
            .TP
            .BI \\-\\-state\\-dir " DIR"
            The state directory (created with mode 0700). bandit refuses one that belongs to another user
            or that group or others can write, and a daemon in it that runs as another user (see
            .BR banditd (8),
            SECURITY). Default: the
            .B state_dir
            of the configuration file
            .RB ( $XDG_CONFIG_HOME/bandit/bandit.conf ,
            else
            .BR ~/.config/bandit/bandit.conf ,
            the one
            .BR banditd (8)
            reads), else
            .BR $BANDIT_STATE_DIR ,
            else
            .BR $XDG_STATE_HOME/bandit ,
            else
            .BR ~/.local/state/bandit .
            .TP
            .BR \\-e ", " \\-\\-experiment " \\fINAME\\fR"
            Start in experiment NAME, as
            .B use NAME
            would (refused, with exit status 1, when there is none of that name). Default:
            .BR $BANDIT_EXPERIMENT ;
            the REPL starts in the experiment it used last in this state directory, and after losing its
            daemon (killed, restarted) chooses it again on the new connection.
            .TP
            .B \\-\\-no\\-daemon
            Run the engine in this process instead of the daemon (one\\-shot scripts); background jobs are
            waited for before it exits.
            .TP
            .BI \\-c " 'CMD; CMD'"
            Run these commands and exit.
            .TP
            .B \\-\\-keep\\-going
            In a script, report errors and go on instead of stopping at the first, with the next command of
            the same line as with the next line; the exit status is still 1.
            .TP
            .BI \\-\\-format " FORMAT"
            Write replies as
            .B table
            (aligned, the default),
            .B json
            (one object per line) or
            .B csv
            (see
            .BR "OUTPUT FOR SCRIPTS" ).
            .TP
            .I SCRIPT
            Run the commands of this file and exit.
            .TP
            .BI "shard " "PLAN INDEX"
            Play shard INDEX of the sweep plan PLAN (a sweep.json) and exit: the command
            .B shard
            with its words as arguments, what each task of a plan's sweep.sbatch runs
            .RB ( "bandit \\-\\-no\\-daemon \\-\\-state\\-dir DIR/shard\\-I shard DIR/sweep.json I" ).
            .TP
            .BR \\-h ", " \\-\\-help
            Print usage and exit.
            .TP
            .B \\-\\-man
            Print this manual page (roff) and exit:
            .B "bandit \\-\\-man | man \\-l \\-"
            reads it where it is not installed.
            .TP
            .B \\-\\-version
            Print the version (the same as
            .BR "banditd \\-\\-version" )
            and exit. Like
            .BR \\-\\-help ,
            .B \\-\\-man
            and lines made only of
            .BR help ,
            it needs no daemon and creates no state directory.
            .SH COMMANDS

            """
        for command in Command.table {
            page += ".TP\n.B \(escape(command.synopsis))\n"
            page += command.details.split(separator: "\n").map { escape(String($0)) }.joined(separator: "\n.br\n") + "\n"
            if !command.aliases.isEmpty { page += ".br\nAlso: \(escape(command.aliases.joined(separator: ", "))).\n" }
            let arguments = command.arguments
            if !arguments.isEmpty {
                for argument in arguments {
                    let name = (argument.keyword.map { "\($0) " } ?? "") + argument.name
                    page += ".br\n\\(bu \\fI\(escape(name))\\fR: \(escape(argument.help))\n"
                }
            }
            for example in command.examples { page += ".br\nExample: \\fB\(escape(example))\\fR\n" }
        }
        page += """
            .SH THE NOTEBOOK
            The reference notebook's experiment, bit for bit (also in
            .IR examples/notebook.bandit ):
            .PP
            .nf
            .RS
            new notebook rng numpy seed 17
            world features 5 actions 30
            policy greedy
            runs 10 days 14
            seed 17
            policy eps 0.1
            runs 10 days 14
            seed 17
            policy ts 30
            runs 10 days 14
            stats
            export curves notebook.csv
            .RE
            .fi
            .SH FILES
            .TP
            .I DIR/bandit.db
            The SQLite database: experiments, runs, days, decisions, checkpoints, results and jobs, with the
            views result_curves, run_days and decision_log for the sqlite3 shell or pandas.
            .TP
            .I DIR/bandit.db.lock
            Held by the process that owns the database; holds its pid.
            .TP
            .I DIR/banditd.sock, DIR/banditd.pid, DIR/banditd.log
            The daemon's socket, pid and log (see
            .BR banditd (8)).
            .TP
            .I DIR/history
            The REPL's history.
            .TP
            .I DIR/last\\-experiment
            The experiment the REPL used last, where the next one starts.
            .SH ENVIRONMENT
            .TP
            .B BANDIT_STATE_DIR
            The state directory, unless
            .B \\-\\-state\\-dir
            or the configuration's
            .B state_dir
            gives one.
            .TP
            .B XDG_STATE_HOME
            The state directory is
            .B $XDG_STATE_HOME/bandit
            when neither of the above is set.
            .TP
            .B BANDIT_HISTFILE
            The history file, instead of DIR/history.
            .TP
            .B BANDIT_EXPERIMENT
            The experiment to start in, unless
            .B \\-e
            gives one.
            .TP
            .B NO_COLOR
            When set, no colours in terminal output.
            .SH EXIT STATUS
            0 on success; 1 when a command of a script failed (the first, unless
            .BR \\-\\-keep\\-going );
            2 for bad options.
            .SH EXAMPLES
            .nf
            bandit \\-c 'new demo; world; policy ts 30; step 14; stats'
            bandit examples/notebook.bandit
            echo 'use demo; plot curves.svg' | bandit
            .fi
            .SH SEE ALSO
            .BR banditd (8),
            .BR sqlite3 (1)

            """
        return page
    }

    /// Roff-safe text: backslashes and hyphens escaped, Greek and symbols as groff glyphs, no line
    /// starting with a control character.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\\": out += "\\e"
            case "-": out += "\\-"
            case "σ": out += "\\(*s"
            case "ε": out += "\\(*e"
            case "β": out += "\\(*b"
            case "α": out += "\\(*a"
            case "λ": out += "\\(*l"
            case "μ": out += "\\(*m"
            case "τ": out += "\\(*t"
            case "φ": out += "\\(*f"
            case "Φ": out += "\\(*F"
            case "Π": out += "\\(*P"
            case "π": out += "\\(*p"
            // q̂ (q with a combining circumflex, one character): plain text's q^.
            case "q\u{302}": out += "q\\(ha"
            case "–": out += "\\(en"
            case "Σ": out += "\\(*S"
            case "∫": out += "\\(is"
            case "≠": out += "\\(!="
            case "−": out += "\\(mi"
            case "¹": out += "\\(S1"
            case "²": out += "\\(S2"
            // Superscripts groff's fonts lack, as a mathematician types them in plain text.
            case "ᵀ": out += "^T"
            case "⁻": out += "^\\-"
            case "×": out += "\\(mu"
            case "±": out += "\\(+-"
            case "≥": out += "\\(>="
            case "≤": out += "\\(<="
            case "—": out += "\\(em"
            case "…": out += "..."
            case "·": out += "\\(pc"
            case "'": out += "\\(aq"
            default: out.append(character)
            }
        }
        if out.first == "." { out = "\\&" + out }
        return out
    }
}
