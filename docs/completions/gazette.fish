# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_gazette_global_optspecs
    string join \n config= v/verbose h/help V/version
end

function __fish_gazette_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_gazette_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_gazette_using_subcommand
    set -l cmd (__fish_gazette_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c gazette -n "__fish_gazette_needs_command" -l config -d 'A TOML file of settings; GAZETTE_* variables override it' -r -F
complete -c gazette -n "__fish_gazette_needs_command" -s v -l verbose -d 'Say more on stderr: `-v` for INFO, `-vv` for DEBUG. Commands other than `up` and `worker` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead'
complete -c gazette -n "__fish_gazette_needs_command" -s h -l help -d 'Print help'
complete -c gazette -n "__fish_gazette_needs_command" -s V -l version -d 'Print version'
complete -c gazette -n "__fish_gazette_needs_command" -f -a "submit" -d 'Publish article files (the JSON of article.submitted\'s data) as article.submitted events'
complete -c gazette -n "__fish_gazette_needs_command" -f -a "up" -d 'Run every stage in this process'
complete -c gazette -n "__fish_gazette_needs_command" -f -a "rebuild" -d 'Render every article page and every listing, feed and sitemap again from the registry and the archive (after a theme change, or to rebuild the index). Refused while an indexer runs; an indexer started meanwhile stands by until the rebuild is done'
complete -c gazette -n "__fish_gazette_needs_command" -f -a "migrate" -d 'Once, after upgrading a site published before the archive existed: move revision copies and index state out of the public store into GAZETTE_ARCHIVE, and record every article in the registry'
complete -c gazette -n "__fish_gazette_needs_command" -f -a "worker" -d 'Run one stage; start more copies to scale it'
complete -c gazette -n "__fish_gazette_needs_command" -f -a "config" -d 'Check the configuration: print it with secrets masked, and reach the broker and the store'
complete -c gazette -n "__fish_gazette_needs_command" -f -a "topology" -d 'Print the namespace\'s exchanges, queues and bindings as RabbitMQ definitions JSON'
complete -c gazette -n "__fish_gazette_needs_command" -f -a "subscribers" -d 'Manage the notifier\'s subscribers: webhook endpoints and email addresses'
complete -c gazette -n "__fish_gazette_needs_command" -f -a "schedule" -d 'Scheduled publishing: what is held until its publication time'
complete -c gazette -n "__fish_gazette_needs_command" -f -a "dlq" -d 'Inspect, replay or purge dead letters'
complete -c gazette -n "__fish_gazette_needs_command" -f -a "completions" -d 'Print a shell\'s completion script for gazette to standard output (`gazette completions bash > /etc/bash_completion.d/gazette`)'
complete -c gazette -n "__fish_gazette_needs_command" -f -a "manpage" -d 'Print gazette\'s man page (roff) to standard output (`gazette manpage > gazette.1`); docs/gazette.1 is this, kept fresh by a test'
complete -c gazette -n "__fish_gazette_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gazette -n "__fish_gazette_using_subcommand submit" -l timeout -d 'How long --wait waits for each article (`30s`, `10m`)' -r
complete -c gazette -n "__fish_gazette_using_subcommand submit" -l config -d 'A TOML file of settings; GAZETTE_* variables override it' -r -F
complete -c gazette -n "__fish_gazette_using_subcommand submit" -l wait -d 'Wait until each article is published, scheduled (dated in the future) or rejected, and print where it went'
complete -c gazette -n "__fish_gazette_using_subcommand submit" -s h -l help -d 'Print help'
complete -c gazette -n "__fish_gazette_using_subcommand submit" -s v -l verbose -d 'Say more on stderr: `-v` for INFO, `-vv` for DEBUG. Commands other than `up` and `worker` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead'
complete -c gazette -n "__fish_gazette_using_subcommand up" -l serve -d 'Also serve the store over HTTP on this address (`127.0.0.1:8000`), to preview the site' -r
complete -c gazette -n "__fish_gazette_using_subcommand up" -l config -d 'A TOML file of settings; GAZETTE_* variables override it' -r -F
complete -c gazette -n "__fish_gazette_using_subcommand up" -s h -l help -d 'Print help'
complete -c gazette -n "__fish_gazette_using_subcommand up" -s v -l verbose -d 'Say more on stderr: `-v` for INFO, `-vv` for DEBUG. Commands other than `up` and `worker` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead'
complete -c gazette -n "__fish_gazette_using_subcommand rebuild" -l jobs -d 'Parallel tasks, at least 1; defaults to the number of CPUs' -r
complete -c gazette -n "__fish_gazette_using_subcommand rebuild" -l config -d 'A TOML file of settings; GAZETTE_* variables override it' -r -F
complete -c gazette -n "__fish_gazette_using_subcommand rebuild" -l allow-empty -d 'Write the site even when the registry records no article (a new site); without it an empty registry is refused as a likely wrong GAZETTE_DATABASE_URL'
complete -c gazette -n "__fish_gazette_using_subcommand rebuild" -l without-broker -d 'Do not hold the indexer\'s queue, and so need no broker: only for a store no indexer writes (a copy, a benchmark\'s site)'
complete -c gazette -n "__fish_gazette_using_subcommand rebuild" -l without-search -d 'Leave the search index to the indexer, which rebuilds it when it starts or next flushes, instead of building it now (for 10,000 articles, most of the rebuild\'s time)'
complete -c gazette -n "__fish_gazette_using_subcommand rebuild" -s h -l help -d 'Print help'
complete -c gazette -n "__fish_gazette_using_subcommand rebuild" -s v -l verbose -d 'Say more on stderr: `-v` for INFO, `-vv` for DEBUG. Commands other than `up` and `worker` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead'
complete -c gazette -n "__fish_gazette_using_subcommand migrate" -l config -d 'A TOML file of settings; GAZETTE_* variables override it' -r -F
complete -c gazette -n "__fish_gazette_using_subcommand migrate" -s h -l help -d 'Print help'
complete -c gazette -n "__fish_gazette_using_subcommand migrate" -s v -l verbose -d 'Say more on stderr: `-v` for INFO, `-vv` for DEBUG. Commands other than `up` and `worker` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead'
complete -c gazette -n "__fish_gazette_using_subcommand worker" -l config -d 'A TOML file of settings; GAZETTE_* variables override it' -r -F
complete -c gazette -n "__fish_gazette_using_subcommand worker" -s h -l help -d 'Print help'
complete -c gazette -n "__fish_gazette_using_subcommand worker" -s v -l verbose -d 'Say more on stderr: `-v` for INFO, `-vv` for DEBUG. Commands other than `up` and `worker` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead'
complete -c gazette -n "__fish_gazette_using_subcommand config; and not __fish_seen_subcommand_from check settings help" -l config -d 'A TOML file of settings; GAZETTE_* variables override it' -r -F
complete -c gazette -n "__fish_gazette_using_subcommand config; and not __fish_seen_subcommand_from check settings help" -s h -l help -d 'Print help'
complete -c gazette -n "__fish_gazette_using_subcommand config; and not __fish_seen_subcommand_from check settings help" -s v -l verbose -d 'Say more on stderr: `-v` for INFO, `-vv` for DEBUG. Commands other than `up` and `worker` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead'
complete -c gazette -n "__fish_gazette_using_subcommand config; and not __fish_seen_subcommand_from check settings help" -f -a "check" -d 'Print the effective configuration; exit non-zero if anything is wrong or unreachable'
complete -c gazette -n "__fish_gazette_using_subcommand config; and not __fish_seen_subcommand_from check settings help" -f -a "settings" -d 'Print every setting Gazette reads: variable, file key, default, meaning, and whether it is a secret'
complete -c gazette -n "__fish_gazette_using_subcommand config; and not __fish_seen_subcommand_from check settings help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gazette -n "__fish_gazette_using_subcommand config; and __fish_seen_subcommand_from check" -l config -d 'A TOML file of settings; GAZETTE_* variables override it' -r -F
complete -c gazette -n "__fish_gazette_using_subcommand config; and __fish_seen_subcommand_from check" -l json -d 'Print one JSON object, `{"settings": {...}, "checks": {...}}` (docs/cli-json.md)'
complete -c gazette -n "__fish_gazette_using_subcommand config; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c gazette -n "__fish_gazette_using_subcommand config; and __fish_seen_subcommand_from check" -s v -l verbose -d 'Say more on stderr: `-v` for INFO, `-vv` for DEBUG. Commands other than `up` and `worker` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead'
complete -c gazette -n "__fish_gazette_using_subcommand config; and __fish_seen_subcommand_from settings" -l config -d 'A TOML file of settings; GAZETTE_* variables override it' -r -F
complete -c gazette -n "__fish_gazette_using_subcommand config; and __fish_seen_subcommand_from settings" -s h -l help -d 'Print help'
complete -c gazette -n "__fish_gazette_using_subcommand config; and __fish_seen_subcommand_from settings" -s v -l verbose -d 'Say more on stderr: `-v` for INFO, `-vv` for DEBUG. Commands other than `up` and `worker` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead'
complete -c gazette -n "__fish_gazette_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "check" -d 'Print the effective configuration; exit non-zero if anything is wrong or unreachable'
complete -c gazette -n "__fish_gazette_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "settings" -d 'Print every setting Gazette reads: variable, file key, default, meaning, and whether it is a secret'
complete -c gazette -n "__fish_gazette_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gazette -n "__fish_gazette_using_subcommand topology" -l vhost -d 'The virtual host to put in the definitions' -r
complete -c gazette -n "__fish_gazette_using_subcommand topology" -l config -d 'A TOML file of settings; GAZETTE_* variables override it' -r -F
complete -c gazette -n "__fish_gazette_using_subcommand topology" -s h -l help -d 'Print help'
complete -c gazette -n "__fish_gazette_using_subcommand topology" -s v -l verbose -d 'Say more on stderr: `-v` for INFO, `-vv` for DEBUG. Commands other than `up` and `worker` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead'
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and not __fish_seen_subcommand_from add list rotate remove help" -l config -d 'A TOML file of settings; GAZETTE_* variables override it' -r -F
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and not __fish_seen_subcommand_from add list rotate remove help" -s h -l help -d 'Print help'
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and not __fish_seen_subcommand_from add list rotate remove help" -s v -l verbose -d 'Say more on stderr: `-v` for INFO, `-vv` for DEBUG. Commands other than `up` and `worker` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead'
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and not __fish_seen_subcommand_from add list rotate remove help" -f -a "add" -d 'Add a webhook endpoint (prints its whsec_ secret, once) or an email address (sends the confirmation mail)'
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and not __fish_seen_subcommand_from add list rotate remove help" -f -a "list" -d 'List every subscription: a header line, then one tab-separated line each'
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and not __fish_seen_subcommand_from add list rotate remove help" -f -a "rotate" -d 'Give a webhook a new secret; the old one keeps signing beside it for --overlap'
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and not __fish_seen_subcommand_from add list rotate remove help" -f -a "remove" -d 'Delete a subscription and its delivery records'
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and not __fish_seen_subcommand_from add list rotate remove help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and __fish_seen_subcommand_from add" -l webhook -d 'The endpoint URL to POST article.published to' -r
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and __fish_seen_subcommand_from add" -l email -d 'A resident\'s address; it receives nothing until it confirms' -r
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and __fish_seen_subcommand_from add" -l category -d 'Only articles of this category slug; repeat for several. Default: every category' -r
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and __fish_seen_subcommand_from add" -l config -d 'A TOML file of settings; GAZETTE_* variables override it' -r -F
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and __fish_seen_subcommand_from add" -l json -d 'Print the webhook\'s subscription, with its secret when new, as one JSON object'
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and __fish_seen_subcommand_from add" -s v -l verbose -d 'Say more on stderr: `-v` for INFO, `-vv` for DEBUG. Commands other than `up` and `worker` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead'
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and __fish_seen_subcommand_from list" -l config -d 'A TOML file of settings; GAZETTE_* variables override it' -r -F
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and __fish_seen_subcommand_from list" -l json -d 'Print a JSON array instead (docs/cli-json.md gives its shape)'
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say more on stderr: `-v` for INFO, `-vv` for DEBUG. Commands other than `up` and `worker` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead'
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and __fish_seen_subcommand_from rotate" -l overlap -d 'How long the previous secret still signs beside the new one (`30m`, `24h`)' -r
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and __fish_seen_subcommand_from rotate" -l config -d 'A TOML file of settings; GAZETTE_* variables override it' -r -F
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and __fish_seen_subcommand_from rotate" -s h -l help -d 'Print help'
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and __fish_seen_subcommand_from rotate" -s v -l verbose -d 'Say more on stderr: `-v` for INFO, `-vv` for DEBUG. Commands other than `up` and `worker` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead'
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and __fish_seen_subcommand_from remove" -l config -d 'A TOML file of settings; GAZETTE_* variables override it' -r -F
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and __fish_seen_subcommand_from remove" -s v -l verbose -d 'Say more on stderr: `-v` for INFO, `-vv` for DEBUG. Commands other than `up` and `worker` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead'
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add a webhook endpoint (prints its whsec_ secret, once) or an email address (sends the confirmation mail)'
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and __fish_seen_subcommand_from help" -f -a "list" -d 'List every subscription: a header line, then one tab-separated line each'
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and __fish_seen_subcommand_from help" -f -a "rotate" -d 'Give a webhook a new secret; the old one keeps signing beside it for --overlap'
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Delete a subscription and its delivery records'
complete -c gazette -n "__fish_gazette_using_subcommand subscribers; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gazette -n "__fish_gazette_using_subcommand schedule; and not __fish_seen_subcommand_from list help" -l config -d 'A TOML file of settings; GAZETTE_* variables override it' -r -F
complete -c gazette -n "__fish_gazette_using_subcommand schedule; and not __fish_seen_subcommand_from list help" -s h -l help -d 'Print help'
complete -c gazette -n "__fish_gazette_using_subcommand schedule; and not __fish_seen_subcommand_from list help" -s v -l verbose -d 'Say more on stderr: `-v` for INFO, `-vv` for DEBUG. Commands other than `up` and `worker` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead'
complete -c gazette -n "__fish_gazette_using_subcommand schedule; and not __fish_seen_subcommand_from list help" -f -a "list" -d 'List every revision held until its publication time, soonest first: a header line, then one tab-separated line each'
complete -c gazette -n "__fish_gazette_using_subcommand schedule; and not __fish_seen_subcommand_from list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gazette -n "__fish_gazette_using_subcommand schedule; and __fish_seen_subcommand_from list" -l config -d 'A TOML file of settings; GAZETTE_* variables override it' -r -F
complete -c gazette -n "__fish_gazette_using_subcommand schedule; and __fish_seen_subcommand_from list" -l json -d 'Print a JSON array instead (docs/cli-json.md gives its shape)'
complete -c gazette -n "__fish_gazette_using_subcommand schedule; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c gazette -n "__fish_gazette_using_subcommand schedule; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say more on stderr: `-v` for INFO, `-vv` for DEBUG. Commands other than `up` and `worker` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead'
complete -c gazette -n "__fish_gazette_using_subcommand schedule; and __fish_seen_subcommand_from help" -f -a "list" -d 'List every revision held until its publication time, soonest first: a header line, then one tab-separated line each'
complete -c gazette -n "__fish_gazette_using_subcommand schedule; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -l config -d 'A TOML file of settings; GAZETTE_* variables override it' -r -F
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -s h -l help -d 'Print help'
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -s v -l verbose -d 'Say more on stderr: `-v` for INFO, `-vv` for DEBUG. Commands other than `up` and `worker` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead'
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -f -a "list" -d 'List dead letters: a header line, then one tab-separated line each (stage, message id, reason, age, article, detail)'
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -f -a "show" -d 'Show one dead letter in full: headers and body'
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -f -a "replay" -d 'Send matching dead letters back to their stage\'s queue, keeping their message ids'
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -f -a "purge" -d 'Delete matching dead letters for good'
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from list" -l stage -d 'Only this stage\'s dead letters (default: every stage)' -r -f -a "validate\t'Checks upstream\'s submissions and withdrawals and hands them on, or rejects them'
media\t'Fetches each article\'s pictures and stores their resized variants, or rejects the article'
render\t'Claims each article\'s page address and renders its page'
publish\t'Records each revision, writes the archive and the page, and announces it; holds revisions dated in the future and publishes them at their time'
index\t'Keeps listings, the home page, feeds and the sitemap current (replicas stand by)'
notify\t'The notifier: fans each publication out to its subscribers, and delivers'
deliver\t'Only the notifier\'s deliveries, to scale them apart from the fan-out'"
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from list" -l reason -d 'Only letters with this reason (invalid-json, schema, retries-exhausted, ...)' -r
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from list" -l article -d 'Only letters about this article id' -r
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from list" -l older-than -d 'Only letters dead-lettered at least this long ago (30s, 10m, 2h)' -r
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from list" -l limit -d 'Look at no more than this many letters per stage' -r
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from list" -l config -d 'A TOML file of settings; GAZETTE_* variables override it' -r -F
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from list" -l json -d 'Print a JSON array instead (docs/cli-json.md gives its shape)'
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say more on stderr: `-v` for INFO, `-vv` for DEBUG. Commands other than `up` and `worker` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead'
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from show" -l stage -d 'Look only in this stage\'s dead letters; every stage\'s without it' -r -f -a "validate\t'Checks upstream\'s submissions and withdrawals and hands them on, or rejects them'
media\t'Fetches each article\'s pictures and stores their resized variants, or rejects the article'
render\t'Claims each article\'s page address and renders its page'
publish\t'Records each revision, writes the archive and the page, and announces it; holds revisions dated in the future and publishes them at their time'
index\t'Keeps listings, the home page, feeds and the sitemap current (replicas stand by)'
notify\t'The notifier: fans each publication out to its subscribers, and delivers'
deliver\t'Only the notifier\'s deliveries, to scale them apart from the fan-out'"
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from show" -l config -d 'A TOML file of settings; GAZETTE_* variables override it' -r -F
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Say more on stderr: `-v` for INFO, `-vv` for DEBUG. Commands other than `up` and `worker` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead'
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from replay" -l stage -d 'Only this stage\'s dead letters (default: every stage)' -r -f -a "validate\t'Checks upstream\'s submissions and withdrawals and hands them on, or rejects them'
media\t'Fetches each article\'s pictures and stores their resized variants, or rejects the article'
render\t'Claims each article\'s page address and renders its page'
publish\t'Records each revision, writes the archive and the page, and announces it; holds revisions dated in the future and publishes them at their time'
index\t'Keeps listings, the home page, feeds and the sitemap current (replicas stand by)'
notify\t'The notifier: fans each publication out to its subscribers, and delivers'
deliver\t'Only the notifier\'s deliveries, to scale them apart from the fan-out'"
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from replay" -l reason -d 'Only letters with this reason (invalid-json, schema, retries-exhausted, ...)' -r
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from replay" -l article -d 'Only letters about this article id' -r
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from replay" -l older-than -d 'Only letters dead-lettered at least this long ago (30s, 10m, 2h)' -r
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from replay" -l limit -d 'Look at no more than this many letters per stage' -r
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from replay" -l rate -d 'Messages per second, so a replay cannot flood a stage that just recovered' -r
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from replay" -l config -d 'A TOML file of settings; GAZETTE_* variables override it' -r -F
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from replay" -l dry-run -d 'Say what would be replayed, and change nothing'
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from replay" -s h -l help -d 'Print help'
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from replay" -s v -l verbose -d 'Say more on stderr: `-v` for INFO, `-vv` for DEBUG. Commands other than `up` and `worker` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead'
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l stage -d 'Only this stage\'s dead letters (default: every stage)' -r -f -a "validate\t'Checks upstream\'s submissions and withdrawals and hands them on, or rejects them'
media\t'Fetches each article\'s pictures and stores their resized variants, or rejects the article'
render\t'Claims each article\'s page address and renders its page'
publish\t'Records each revision, writes the archive and the page, and announces it; holds revisions dated in the future and publishes them at their time'
index\t'Keeps listings, the home page, feeds and the sitemap current (replicas stand by)'
notify\t'The notifier: fans each publication out to its subscribers, and delivers'
deliver\t'Only the notifier\'s deliveries, to scale them apart from the fan-out'"
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l reason -d 'Only letters with this reason (invalid-json, schema, retries-exhausted, ...)' -r
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l article -d 'Only letters about this article id' -r
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l older-than -d 'Only letters dead-lettered at least this long ago (30s, 10m, 2h)' -r
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l limit -d 'Look at no more than this many letters per stage' -r
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l config -d 'A TOML file of settings; GAZETTE_* variables override it' -r -F
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l all -d 'Required when no filter is given: purge everything in the chosen stages'
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l dry-run -d 'Say what would be purged, and change nothing'
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from purge" -s h -l help -d 'Print help'
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from purge" -s v -l verbose -d 'Say more on stderr: `-v` for INFO, `-vv` for DEBUG. Commands other than `up` and `worker` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead'
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from help" -f -a "list" -d 'List dead letters: a header line, then one tab-separated line each (stage, message id, reason, age, article, detail)'
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one dead letter in full: headers and body'
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from help" -f -a "replay" -d 'Send matching dead letters back to their stage\'s queue, keeping their message ids'
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from help" -f -a "purge" -d 'Delete matching dead letters for good'
complete -c gazette -n "__fish_gazette_using_subcommand dlq; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gazette -n "__fish_gazette_using_subcommand completions" -l config -d 'A TOML file of settings; GAZETTE_* variables override it' -r -F
complete -c gazette -n "__fish_gazette_using_subcommand completions" -s h -l help -d 'Print help'
complete -c gazette -n "__fish_gazette_using_subcommand completions" -s v -l verbose -d 'Say more on stderr: `-v` for INFO, `-vv` for DEBUG. Commands other than `up` and `worker` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead'
complete -c gazette -n "__fish_gazette_using_subcommand manpage" -l config -d 'A TOML file of settings; GAZETTE_* variables override it' -r -F
complete -c gazette -n "__fish_gazette_using_subcommand manpage" -s h -l help -d 'Print help'
complete -c gazette -n "__fish_gazette_using_subcommand manpage" -s v -l verbose -d 'Say more on stderr: `-v` for INFO, `-vv` for DEBUG. Commands other than `up` and `worker` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead'
complete -c gazette -n "__fish_gazette_using_subcommand help; and not __fish_seen_subcommand_from submit up rebuild migrate worker config topology subscribers schedule dlq completions manpage help" -f -a "submit" -d 'Publish article files (the JSON of article.submitted\'s data) as article.submitted events'
complete -c gazette -n "__fish_gazette_using_subcommand help; and not __fish_seen_subcommand_from submit up rebuild migrate worker config topology subscribers schedule dlq completions manpage help" -f -a "up" -d 'Run every stage in this process'
complete -c gazette -n "__fish_gazette_using_subcommand help; and not __fish_seen_subcommand_from submit up rebuild migrate worker config topology subscribers schedule dlq completions manpage help" -f -a "rebuild" -d 'Render every article page and every listing, feed and sitemap again from the registry and the archive (after a theme change, or to rebuild the index). Refused while an indexer runs; an indexer started meanwhile stands by until the rebuild is done'
complete -c gazette -n "__fish_gazette_using_subcommand help; and not __fish_seen_subcommand_from submit up rebuild migrate worker config topology subscribers schedule dlq completions manpage help" -f -a "migrate" -d 'Once, after upgrading a site published before the archive existed: move revision copies and index state out of the public store into GAZETTE_ARCHIVE, and record every article in the registry'
complete -c gazette -n "__fish_gazette_using_subcommand help; and not __fish_seen_subcommand_from submit up rebuild migrate worker config topology subscribers schedule dlq completions manpage help" -f -a "worker" -d 'Run one stage; start more copies to scale it'
complete -c gazette -n "__fish_gazette_using_subcommand help; and not __fish_seen_subcommand_from submit up rebuild migrate worker config topology subscribers schedule dlq completions manpage help" -f -a "config" -d 'Check the configuration: print it with secrets masked, and reach the broker and the store'
complete -c gazette -n "__fish_gazette_using_subcommand help; and not __fish_seen_subcommand_from submit up rebuild migrate worker config topology subscribers schedule dlq completions manpage help" -f -a "topology" -d 'Print the namespace\'s exchanges, queues and bindings as RabbitMQ definitions JSON'
complete -c gazette -n "__fish_gazette_using_subcommand help; and not __fish_seen_subcommand_from submit up rebuild migrate worker config topology subscribers schedule dlq completions manpage help" -f -a "subscribers" -d 'Manage the notifier\'s subscribers: webhook endpoints and email addresses'
complete -c gazette -n "__fish_gazette_using_subcommand help; and not __fish_seen_subcommand_from submit up rebuild migrate worker config topology subscribers schedule dlq completions manpage help" -f -a "schedule" -d 'Scheduled publishing: what is held until its publication time'
complete -c gazette -n "__fish_gazette_using_subcommand help; and not __fish_seen_subcommand_from submit up rebuild migrate worker config topology subscribers schedule dlq completions manpage help" -f -a "dlq" -d 'Inspect, replay or purge dead letters'
complete -c gazette -n "__fish_gazette_using_subcommand help; and not __fish_seen_subcommand_from submit up rebuild migrate worker config topology subscribers schedule dlq completions manpage help" -f -a "completions" -d 'Print a shell\'s completion script for gazette to standard output (`gazette completions bash > /etc/bash_completion.d/gazette`)'
complete -c gazette -n "__fish_gazette_using_subcommand help; and not __fish_seen_subcommand_from submit up rebuild migrate worker config topology subscribers schedule dlq completions manpage help" -f -a "manpage" -d 'Print gazette\'s man page (roff) to standard output (`gazette manpage > gazette.1`); docs/gazette.1 is this, kept fresh by a test'
complete -c gazette -n "__fish_gazette_using_subcommand help; and not __fish_seen_subcommand_from submit up rebuild migrate worker config topology subscribers schedule dlq completions manpage help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gazette -n "__fish_gazette_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "check" -d 'Print the effective configuration; exit non-zero if anything is wrong or unreachable'
complete -c gazette -n "__fish_gazette_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "settings" -d 'Print every setting Gazette reads: variable, file key, default, meaning, and whether it is a secret'
complete -c gazette -n "__fish_gazette_using_subcommand help; and __fish_seen_subcommand_from subscribers" -f -a "add" -d 'Add a webhook endpoint (prints its whsec_ secret, once) or an email address (sends the confirmation mail)'
complete -c gazette -n "__fish_gazette_using_subcommand help; and __fish_seen_subcommand_from subscribers" -f -a "list" -d 'List every subscription: a header line, then one tab-separated line each'
complete -c gazette -n "__fish_gazette_using_subcommand help; and __fish_seen_subcommand_from subscribers" -f -a "rotate" -d 'Give a webhook a new secret; the old one keeps signing beside it for --overlap'
complete -c gazette -n "__fish_gazette_using_subcommand help; and __fish_seen_subcommand_from subscribers" -f -a "remove" -d 'Delete a subscription and its delivery records'
complete -c gazette -n "__fish_gazette_using_subcommand help; and __fish_seen_subcommand_from schedule" -f -a "list" -d 'List every revision held until its publication time, soonest first: a header line, then one tab-separated line each'
complete -c gazette -n "__fish_gazette_using_subcommand help; and __fish_seen_subcommand_from dlq" -f -a "list" -d 'List dead letters: a header line, then one tab-separated line each (stage, message id, reason, age, article, detail)'
complete -c gazette -n "__fish_gazette_using_subcommand help; and __fish_seen_subcommand_from dlq" -f -a "show" -d 'Show one dead letter in full: headers and body'
complete -c gazette -n "__fish_gazette_using_subcommand help; and __fish_seen_subcommand_from dlq" -f -a "replay" -d 'Send matching dead letters back to their stage\'s queue, keeping their message ids'
complete -c gazette -n "__fish_gazette_using_subcommand help; and __fish_seen_subcommand_from dlq" -f -a "purge" -d 'Delete matching dead letters for good'
