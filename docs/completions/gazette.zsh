#compdef gazette

autoload -U is-at-least

_gazette() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'--config=[A TOML file of settings; GAZETTE_* variables override it]:CONFIG:_files' \
'*-v[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
'*--verbose[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_gazette_commands" \
"*::: :->gazette" \
&& ret=0
    case $state in
    (gazette)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:gazette-command-$line[1]:"
        case $line[1] in
            (submit)
_arguments "${_arguments_options[@]}" : \
'--timeout=[How long --wait waits for each article (\`30s\`, \`10m\`)]:TIMEOUT:_default' \
'--config=[A TOML file of settings; GAZETTE_* variables override it]:CONFIG:_files' \
'--wait[Wait until each article is published, scheduled (dated in the future) or rejected, and print where it went]' \
'-h[Print help]' \
'--help[Print help]' \
'*-v[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
'*--verbose[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
'*::files -- Article JSON files (the article itself, not a CloudEvents envelope); `-` reads one from standard input:_files' \
&& ret=0
;;
(up)
_arguments "${_arguments_options[@]}" : \
'--serve=[Also serve the store over HTTP on this address (\`127.0.0.1\:8000\`), to preview the site]:ADDR:_default' \
'--config=[A TOML file of settings; GAZETTE_* variables override it]:CONFIG:_files' \
'-h[Print help]' \
'--help[Print help]' \
'*-v[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
'*--verbose[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
&& ret=0
;;
(rebuild)
_arguments "${_arguments_options[@]}" : \
'--jobs=[Parallel tasks, at least 1; defaults to the number of CPUs]:JOBS:_default' \
'--config=[A TOML file of settings; GAZETTE_* variables override it]:CONFIG:_files' \
'--allow-empty[Write the site even when the registry records no article (a new site); without it an empty registry is refused as a likely wrong GAZETTE_DATABASE_URL]' \
'--without-broker[Do not hold the indexer'\''s queue, and so need no broker\: only for a store no indexer writes (a copy, a benchmark'\''s site)]' \
'--without-search[Leave the search index to the indexer, which rebuilds it when it starts or next flushes, instead of building it now (for 10,000 articles, most of the rebuild'\''s time)]' \
'-h[Print help]' \
'--help[Print help]' \
'*-v[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
'*--verbose[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
&& ret=0
;;
(migrate)
_arguments "${_arguments_options[@]}" : \
'--config=[A TOML file of settings; GAZETTE_* variables override it]:CONFIG:_files' \
'-h[Print help]' \
'--help[Print help]' \
'*-v[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
'*--verbose[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
&& ret=0
;;
(worker)
_arguments "${_arguments_options[@]}" : \
'--config=[A TOML file of settings; GAZETTE_* variables override it]:CONFIG:_files' \
'-h[Print help]' \
'--help[Print help]' \
'*-v[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
'*--verbose[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
':stage -- The stage to run:((validate\:"Checks upstream'\''s submissions and withdrawals and hands them on, or rejects them"
media\:"Fetches each article'\''s pictures and stores their resized variants, or rejects the article"
render\:"Claims each article'\''s page address and renders its page"
publish\:"Records each revision, writes the archive and the page, and announces it; holds revisions dated in the future and publishes them at their time"
index\:"Keeps listings, the home page, feeds and the sitemap current (replicas stand by)"
notify\:"The notifier\: fans each publication out to its subscribers, and delivers"
deliver\:"Only the notifier'\''s deliveries, to scale them apart from the fan-out"))' \
&& ret=0
;;
(config)
_arguments "${_arguments_options[@]}" : \
'--config=[A TOML file of settings; GAZETTE_* variables override it]:CONFIG:_files' \
'-h[Print help]' \
'--help[Print help]' \
'*-v[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
'*--verbose[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
":: :_gazette__subcmd__config_commands" \
"*::: :->config" \
&& ret=0

    case $state in
    (config)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:gazette-config-command-$line[1]:"
        case $line[1] in
            (check)
_arguments "${_arguments_options[@]}" : \
'--config=[A TOML file of settings; GAZETTE_* variables override it]:CONFIG:_files' \
'--json[Print one JSON object, \`{"settings"\: {...}, "checks"\: {...}}\` (docs/cli-json.md)]' \
'-h[Print help]' \
'--help[Print help]' \
'*-v[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
'*--verbose[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
&& ret=0
;;
(settings)
_arguments "${_arguments_options[@]}" : \
'--config=[A TOML file of settings; GAZETTE_* variables override it]:CONFIG:_files' \
'-h[Print help]' \
'--help[Print help]' \
'*-v[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
'*--verbose[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_gazette__subcmd__config__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:gazette-config-help-command-$line[1]:"
        case $line[1] in
            (check)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(settings)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(topology)
_arguments "${_arguments_options[@]}" : \
'--vhost=[The virtual host to put in the definitions]:VHOST:_default' \
'--config=[A TOML file of settings; GAZETTE_* variables override it]:CONFIG:_files' \
'-h[Print help]' \
'--help[Print help]' \
'*-v[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
'*--verbose[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
&& ret=0
;;
(subscribers)
_arguments "${_arguments_options[@]}" : \
'--config=[A TOML file of settings; GAZETTE_* variables override it]:CONFIG:_files' \
'-h[Print help]' \
'--help[Print help]' \
'*-v[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
'*--verbose[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
":: :_gazette__subcmd__subscribers_commands" \
"*::: :->subscribers" \
&& ret=0

    case $state in
    (subscribers)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:gazette-subscribers-command-$line[1]:"
        case $line[1] in
            (add)
_arguments "${_arguments_options[@]}" : \
'(--email)--webhook=[The endpoint URL to POST article.published to]:WEBHOOK:_default' \
'--email=[A resident'\''s address; it receives nothing until it confirms]:EMAIL:_default' \
'*--category=[Only articles of this category slug; repeat for several. Default\: every category]:CATEGORIES:_default' \
'--config=[A TOML file of settings; GAZETTE_* variables override it]:CONFIG:_files' \
'(--email)--json[Print the webhook'\''s subscription, with its secret when new, as one JSON object]' \
'-h[Print help]' \
'--help[Print help]' \
'*-v[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
'*--verbose[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
'--config=[A TOML file of settings; GAZETTE_* variables override it]:CONFIG:_files' \
'--json[Print a JSON array instead (docs/cli-json.md gives its shape)]' \
'-h[Print help]' \
'--help[Print help]' \
'*-v[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
'*--verbose[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
&& ret=0
;;
(rotate)
_arguments "${_arguments_options[@]}" : \
'--overlap=[How long the previous secret still signs beside the new one (\`30m\`, \`24h\`)]:OVERLAP:_default' \
'--config=[A TOML file of settings; GAZETTE_* variables override it]:CONFIG:_files' \
'-h[Print help]' \
'--help[Print help]' \
'*-v[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
'*--verbose[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
':id -- The webhook'\''s subscription id, as `gazette subscribers list` shows it:_default' \
&& ret=0
;;
(remove)
_arguments "${_arguments_options[@]}" : \
'--config=[A TOML file of settings; GAZETTE_* variables override it]:CONFIG:_files' \
'-h[Print help]' \
'--help[Print help]' \
'*-v[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
'*--verbose[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
':id -- The subscription id, as `gazette subscribers list` shows it:_default' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_gazette__subcmd__subscribers__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:gazette-subscribers-help-command-$line[1]:"
        case $line[1] in
            (add)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(rotate)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(remove)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(schedule)
_arguments "${_arguments_options[@]}" : \
'--config=[A TOML file of settings; GAZETTE_* variables override it]:CONFIG:_files' \
'-h[Print help]' \
'--help[Print help]' \
'*-v[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
'*--verbose[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
":: :_gazette__subcmd__schedule_commands" \
"*::: :->schedule" \
&& ret=0

    case $state in
    (schedule)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:gazette-schedule-command-$line[1]:"
        case $line[1] in
            (list)
_arguments "${_arguments_options[@]}" : \
'--config=[A TOML file of settings; GAZETTE_* variables override it]:CONFIG:_files' \
'--json[Print a JSON array instead (docs/cli-json.md gives its shape)]' \
'-h[Print help]' \
'--help[Print help]' \
'*-v[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
'*--verbose[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_gazette__subcmd__schedule__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:gazette-schedule-help-command-$line[1]:"
        case $line[1] in
            (list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(dlq)
_arguments "${_arguments_options[@]}" : \
'--config=[A TOML file of settings; GAZETTE_* variables override it]:CONFIG:_files' \
'-h[Print help]' \
'--help[Print help]' \
'*-v[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
'*--verbose[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
":: :_gazette__subcmd__dlq_commands" \
"*::: :->dlq" \
&& ret=0

    case $state in
    (dlq)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:gazette-dlq-command-$line[1]:"
        case $line[1] in
            (list)
_arguments "${_arguments_options[@]}" : \
'--stage=[Only this stage'\''s dead letters (default\: every stage)]:STAGE:((validate\:"Checks upstream'\''s submissions and withdrawals and hands them on, or rejects them"
media\:"Fetches each article'\''s pictures and stores their resized variants, or rejects the article"
render\:"Claims each article'\''s page address and renders its page"
publish\:"Records each revision, writes the archive and the page, and announces it; holds revisions dated in the future and publishes them at their time"
index\:"Keeps listings, the home page, feeds and the sitemap current (replicas stand by)"
notify\:"The notifier\: fans each publication out to its subscribers, and delivers"
deliver\:"Only the notifier'\''s deliveries, to scale them apart from the fan-out"))' \
'--reason=[Only letters with this reason (invalid-json, schema, retries-exhausted, ...)]:REASON:_default' \
'--article=[Only letters about this article id]:ARTICLE:_default' \
'--older-than=[Only letters dead-lettered at least this long ago (30s, 10m, 2h)]:OLDER_THAN:_default' \
'--limit=[Look at no more than this many letters per stage]:LIMIT:_default' \
'--config=[A TOML file of settings; GAZETTE_* variables override it]:CONFIG:_files' \
'--json[Print a JSON array instead (docs/cli-json.md gives its shape)]' \
'-h[Print help]' \
'--help[Print help]' \
'*-v[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
'*--verbose[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
&& ret=0
;;
(show)
_arguments "${_arguments_options[@]}" : \
'--stage=[Look only in this stage'\''s dead letters; every stage'\''s without it]:STAGE:((validate\:"Checks upstream'\''s submissions and withdrawals and hands them on, or rejects them"
media\:"Fetches each article'\''s pictures and stores their resized variants, or rejects the article"
render\:"Claims each article'\''s page address and renders its page"
publish\:"Records each revision, writes the archive and the page, and announces it; holds revisions dated in the future and publishes them at their time"
index\:"Keeps listings, the home page, feeds and the sitemap current (replicas stand by)"
notify\:"The notifier\: fans each publication out to its subscribers, and delivers"
deliver\:"Only the notifier'\''s deliveries, to scale them apart from the fan-out"))' \
'--config=[A TOML file of settings; GAZETTE_* variables override it]:CONFIG:_files' \
'-h[Print help]' \
'--help[Print help]' \
'*-v[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
'*--verbose[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
':message_id -- The dead letter'\''s message id, as `gazette dlq list` shows it:_default' \
&& ret=0
;;
(replay)
_arguments "${_arguments_options[@]}" : \
'--stage=[Only this stage'\''s dead letters (default\: every stage)]:STAGE:((validate\:"Checks upstream'\''s submissions and withdrawals and hands them on, or rejects them"
media\:"Fetches each article'\''s pictures and stores their resized variants, or rejects the article"
render\:"Claims each article'\''s page address and renders its page"
publish\:"Records each revision, writes the archive and the page, and announces it; holds revisions dated in the future and publishes them at their time"
index\:"Keeps listings, the home page, feeds and the sitemap current (replicas stand by)"
notify\:"The notifier\: fans each publication out to its subscribers, and delivers"
deliver\:"Only the notifier'\''s deliveries, to scale them apart from the fan-out"))' \
'--reason=[Only letters with this reason (invalid-json, schema, retries-exhausted, ...)]:REASON:_default' \
'--article=[Only letters about this article id]:ARTICLE:_default' \
'--older-than=[Only letters dead-lettered at least this long ago (30s, 10m, 2h)]:OLDER_THAN:_default' \
'--limit=[Look at no more than this many letters per stage]:LIMIT:_default' \
'--rate=[Messages per second, so a replay cannot flood a stage that just recovered]:RATE:_default' \
'--config=[A TOML file of settings; GAZETTE_* variables override it]:CONFIG:_files' \
'--dry-run[Say what would be replayed, and change nothing]' \
'-h[Print help]' \
'--help[Print help]' \
'*-v[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
'*--verbose[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
&& ret=0
;;
(purge)
_arguments "${_arguments_options[@]}" : \
'--stage=[Only this stage'\''s dead letters (default\: every stage)]:STAGE:((validate\:"Checks upstream'\''s submissions and withdrawals and hands them on, or rejects them"
media\:"Fetches each article'\''s pictures and stores their resized variants, or rejects the article"
render\:"Claims each article'\''s page address and renders its page"
publish\:"Records each revision, writes the archive and the page, and announces it; holds revisions dated in the future and publishes them at their time"
index\:"Keeps listings, the home page, feeds and the sitemap current (replicas stand by)"
notify\:"The notifier\: fans each publication out to its subscribers, and delivers"
deliver\:"Only the notifier'\''s deliveries, to scale them apart from the fan-out"))' \
'--reason=[Only letters with this reason (invalid-json, schema, retries-exhausted, ...)]:REASON:_default' \
'--article=[Only letters about this article id]:ARTICLE:_default' \
'--older-than=[Only letters dead-lettered at least this long ago (30s, 10m, 2h)]:OLDER_THAN:_default' \
'--limit=[Look at no more than this many letters per stage]:LIMIT:_default' \
'--config=[A TOML file of settings; GAZETTE_* variables override it]:CONFIG:_files' \
'--all[Required when no filter is given\: purge everything in the chosen stages]' \
'--dry-run[Say what would be purged, and change nothing]' \
'-h[Print help]' \
'--help[Print help]' \
'*-v[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
'*--verbose[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_gazette__subcmd__dlq__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:gazette-dlq-help-command-$line[1]:"
        case $line[1] in
            (list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(show)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(replay)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(purge)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(completions)
_arguments "${_arguments_options[@]}" : \
'--config=[A TOML file of settings; GAZETTE_* variables override it]:CONFIG:_files' \
'-h[Print help]' \
'--help[Print help]' \
'*-v[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
'*--verbose[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
':shell -- The shell to complete in:(bash elvish fish powershell zsh)' \
&& ret=0
;;
(manpage)
_arguments "${_arguments_options[@]}" : \
'--config=[A TOML file of settings; GAZETTE_* variables override it]:CONFIG:_files' \
'-h[Print help]' \
'--help[Print help]' \
'*-v[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
'*--verbose[Say more on stderr\: \`-v\` for INFO, \`-vv\` for DEBUG. Commands other than \`up\` and \`worker\` print only warnings without it; GAZETTE_LOG or RUST_LOG, when set, decide instead]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_gazette__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:gazette-help-command-$line[1]:"
        case $line[1] in
            (submit)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(up)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(rebuild)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(migrate)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(worker)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(config)
_arguments "${_arguments_options[@]}" : \
":: :_gazette__subcmd__help__subcmd__config_commands" \
"*::: :->config" \
&& ret=0

    case $state in
    (config)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:gazette-help-config-command-$line[1]:"
        case $line[1] in
            (check)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(settings)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(topology)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(subscribers)
_arguments "${_arguments_options[@]}" : \
":: :_gazette__subcmd__help__subcmd__subscribers_commands" \
"*::: :->subscribers" \
&& ret=0

    case $state in
    (subscribers)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:gazette-help-subscribers-command-$line[1]:"
        case $line[1] in
            (add)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(rotate)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(remove)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(schedule)
_arguments "${_arguments_options[@]}" : \
":: :_gazette__subcmd__help__subcmd__schedule_commands" \
"*::: :->schedule" \
&& ret=0

    case $state in
    (schedule)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:gazette-help-schedule-command-$line[1]:"
        case $line[1] in
            (list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(dlq)
_arguments "${_arguments_options[@]}" : \
":: :_gazette__subcmd__help__subcmd__dlq_commands" \
"*::: :->dlq" \
&& ret=0

    case $state in
    (dlq)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:gazette-help-dlq-command-$line[1]:"
        case $line[1] in
            (list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(show)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(replay)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(purge)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(completions)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(manpage)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
}

(( $+functions[_gazette_commands] )) ||
_gazette_commands() {
    local commands; commands=(
'submit:Publish article files (the JSON of article.submitted'\''s data) as article.submitted events' \
'up:Run every stage in this process' \
'rebuild:Render every article page and every listing, feed and sitemap again from the registry and the archive (after a theme change, or to rebuild the index). Refused while an indexer runs; an indexer started meanwhile stands by until the rebuild is done' \
'migrate:Once, after upgrading a site published before the archive existed\: move revision copies and index state out of the public store into GAZETTE_ARCHIVE, and record every article in the registry' \
'worker:Run one stage; start more copies to scale it' \
'config:Check the configuration\: print it with secrets masked, and reach the broker and the store' \
'topology:Print the namespace'\''s exchanges, queues and bindings as RabbitMQ definitions JSON' \
'subscribers:Manage the notifier'\''s subscribers\: webhook endpoints and email addresses' \
'schedule:Scheduled publishing\: what is held until its publication time' \
'dlq:Inspect, replay or purge dead letters' \
'completions:Print a shell'\''s completion script for gazette to standard output (\`gazette completions bash > /etc/bash_completion.d/gazette\`)' \
'manpage:Print gazette'\''s man page (roff) to standard output (\`gazette manpage > gazette.1\`); docs/gazette.1 is this, kept fresh by a test' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'gazette commands' commands "$@"
}
(( $+functions[_gazette__subcmd__completions_commands] )) ||
_gazette__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'gazette completions commands' commands "$@"
}
(( $+functions[_gazette__subcmd__config_commands] )) ||
_gazette__subcmd__config_commands() {
    local commands; commands=(
'check:Print the effective configuration; exit non-zero if anything is wrong or unreachable' \
'settings:Print every setting Gazette reads\: variable, file key, default, meaning, and whether it is a secret' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'gazette config commands' commands "$@"
}
(( $+functions[_gazette__subcmd__config__subcmd__check_commands] )) ||
_gazette__subcmd__config__subcmd__check_commands() {
    local commands; commands=()
    _describe -t commands 'gazette config check commands' commands "$@"
}
(( $+functions[_gazette__subcmd__config__subcmd__help_commands] )) ||
_gazette__subcmd__config__subcmd__help_commands() {
    local commands; commands=(
'check:Print the effective configuration; exit non-zero if anything is wrong or unreachable' \
'settings:Print every setting Gazette reads\: variable, file key, default, meaning, and whether it is a secret' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'gazette config help commands' commands "$@"
}
(( $+functions[_gazette__subcmd__config__subcmd__help__subcmd__check_commands] )) ||
_gazette__subcmd__config__subcmd__help__subcmd__check_commands() {
    local commands; commands=()
    _describe -t commands 'gazette config help check commands' commands "$@"
}
(( $+functions[_gazette__subcmd__config__subcmd__help__subcmd__help_commands] )) ||
_gazette__subcmd__config__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'gazette config help help commands' commands "$@"
}
(( $+functions[_gazette__subcmd__config__subcmd__help__subcmd__settings_commands] )) ||
_gazette__subcmd__config__subcmd__help__subcmd__settings_commands() {
    local commands; commands=()
    _describe -t commands 'gazette config help settings commands' commands "$@"
}
(( $+functions[_gazette__subcmd__config__subcmd__settings_commands] )) ||
_gazette__subcmd__config__subcmd__settings_commands() {
    local commands; commands=()
    _describe -t commands 'gazette config settings commands' commands "$@"
}
(( $+functions[_gazette__subcmd__dlq_commands] )) ||
_gazette__subcmd__dlq_commands() {
    local commands; commands=(
'list:List dead letters\: a header line, then one tab-separated line each (stage, message id, reason, age, article, detail)' \
'show:Show one dead letter in full\: headers and body' \
'replay:Send matching dead letters back to their stage'\''s queue, keeping their message ids' \
'purge:Delete matching dead letters for good' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'gazette dlq commands' commands "$@"
}
(( $+functions[_gazette__subcmd__dlq__subcmd__help_commands] )) ||
_gazette__subcmd__dlq__subcmd__help_commands() {
    local commands; commands=(
'list:List dead letters\: a header line, then one tab-separated line each (stage, message id, reason, age, article, detail)' \
'show:Show one dead letter in full\: headers and body' \
'replay:Send matching dead letters back to their stage'\''s queue, keeping their message ids' \
'purge:Delete matching dead letters for good' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'gazette dlq help commands' commands "$@"
}
(( $+functions[_gazette__subcmd__dlq__subcmd__help__subcmd__help_commands] )) ||
_gazette__subcmd__dlq__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'gazette dlq help help commands' commands "$@"
}
(( $+functions[_gazette__subcmd__dlq__subcmd__help__subcmd__list_commands] )) ||
_gazette__subcmd__dlq__subcmd__help__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'gazette dlq help list commands' commands "$@"
}
(( $+functions[_gazette__subcmd__dlq__subcmd__help__subcmd__purge_commands] )) ||
_gazette__subcmd__dlq__subcmd__help__subcmd__purge_commands() {
    local commands; commands=()
    _describe -t commands 'gazette dlq help purge commands' commands "$@"
}
(( $+functions[_gazette__subcmd__dlq__subcmd__help__subcmd__replay_commands] )) ||
_gazette__subcmd__dlq__subcmd__help__subcmd__replay_commands() {
    local commands; commands=()
    _describe -t commands 'gazette dlq help replay commands' commands "$@"
}
(( $+functions[_gazette__subcmd__dlq__subcmd__help__subcmd__show_commands] )) ||
_gazette__subcmd__dlq__subcmd__help__subcmd__show_commands() {
    local commands; commands=()
    _describe -t commands 'gazette dlq help show commands' commands "$@"
}
(( $+functions[_gazette__subcmd__dlq__subcmd__list_commands] )) ||
_gazette__subcmd__dlq__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'gazette dlq list commands' commands "$@"
}
(( $+functions[_gazette__subcmd__dlq__subcmd__purge_commands] )) ||
_gazette__subcmd__dlq__subcmd__purge_commands() {
    local commands; commands=()
    _describe -t commands 'gazette dlq purge commands' commands "$@"
}
(( $+functions[_gazette__subcmd__dlq__subcmd__replay_commands] )) ||
_gazette__subcmd__dlq__subcmd__replay_commands() {
    local commands; commands=()
    _describe -t commands 'gazette dlq replay commands' commands "$@"
}
(( $+functions[_gazette__subcmd__dlq__subcmd__show_commands] )) ||
_gazette__subcmd__dlq__subcmd__show_commands() {
    local commands; commands=()
    _describe -t commands 'gazette dlq show commands' commands "$@"
}
(( $+functions[_gazette__subcmd__help_commands] )) ||
_gazette__subcmd__help_commands() {
    local commands; commands=(
'submit:Publish article files (the JSON of article.submitted'\''s data) as article.submitted events' \
'up:Run every stage in this process' \
'rebuild:Render every article page and every listing, feed and sitemap again from the registry and the archive (after a theme change, or to rebuild the index). Refused while an indexer runs; an indexer started meanwhile stands by until the rebuild is done' \
'migrate:Once, after upgrading a site published before the archive existed\: move revision copies and index state out of the public store into GAZETTE_ARCHIVE, and record every article in the registry' \
'worker:Run one stage; start more copies to scale it' \
'config:Check the configuration\: print it with secrets masked, and reach the broker and the store' \
'topology:Print the namespace'\''s exchanges, queues and bindings as RabbitMQ definitions JSON' \
'subscribers:Manage the notifier'\''s subscribers\: webhook endpoints and email addresses' \
'schedule:Scheduled publishing\: what is held until its publication time' \
'dlq:Inspect, replay or purge dead letters' \
'completions:Print a shell'\''s completion script for gazette to standard output (\`gazette completions bash > /etc/bash_completion.d/gazette\`)' \
'manpage:Print gazette'\''s man page (roff) to standard output (\`gazette manpage > gazette.1\`); docs/gazette.1 is this, kept fresh by a test' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'gazette help commands' commands "$@"
}
(( $+functions[_gazette__subcmd__help__subcmd__completions_commands] )) ||
_gazette__subcmd__help__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'gazette help completions commands' commands "$@"
}
(( $+functions[_gazette__subcmd__help__subcmd__config_commands] )) ||
_gazette__subcmd__help__subcmd__config_commands() {
    local commands; commands=(
'check:Print the effective configuration; exit non-zero if anything is wrong or unreachable' \
'settings:Print every setting Gazette reads\: variable, file key, default, meaning, and whether it is a secret' \
    )
    _describe -t commands 'gazette help config commands' commands "$@"
}
(( $+functions[_gazette__subcmd__help__subcmd__config__subcmd__check_commands] )) ||
_gazette__subcmd__help__subcmd__config__subcmd__check_commands() {
    local commands; commands=()
    _describe -t commands 'gazette help config check commands' commands "$@"
}
(( $+functions[_gazette__subcmd__help__subcmd__config__subcmd__settings_commands] )) ||
_gazette__subcmd__help__subcmd__config__subcmd__settings_commands() {
    local commands; commands=()
    _describe -t commands 'gazette help config settings commands' commands "$@"
}
(( $+functions[_gazette__subcmd__help__subcmd__dlq_commands] )) ||
_gazette__subcmd__help__subcmd__dlq_commands() {
    local commands; commands=(
'list:List dead letters\: a header line, then one tab-separated line each (stage, message id, reason, age, article, detail)' \
'show:Show one dead letter in full\: headers and body' \
'replay:Send matching dead letters back to their stage'\''s queue, keeping their message ids' \
'purge:Delete matching dead letters for good' \
    )
    _describe -t commands 'gazette help dlq commands' commands "$@"
}
(( $+functions[_gazette__subcmd__help__subcmd__dlq__subcmd__list_commands] )) ||
_gazette__subcmd__help__subcmd__dlq__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'gazette help dlq list commands' commands "$@"
}
(( $+functions[_gazette__subcmd__help__subcmd__dlq__subcmd__purge_commands] )) ||
_gazette__subcmd__help__subcmd__dlq__subcmd__purge_commands() {
    local commands; commands=()
    _describe -t commands 'gazette help dlq purge commands' commands "$@"
}
(( $+functions[_gazette__subcmd__help__subcmd__dlq__subcmd__replay_commands] )) ||
_gazette__subcmd__help__subcmd__dlq__subcmd__replay_commands() {
    local commands; commands=()
    _describe -t commands 'gazette help dlq replay commands' commands "$@"
}
(( $+functions[_gazette__subcmd__help__subcmd__dlq__subcmd__show_commands] )) ||
_gazette__subcmd__help__subcmd__dlq__subcmd__show_commands() {
    local commands; commands=()
    _describe -t commands 'gazette help dlq show commands' commands "$@"
}
(( $+functions[_gazette__subcmd__help__subcmd__help_commands] )) ||
_gazette__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'gazette help help commands' commands "$@"
}
(( $+functions[_gazette__subcmd__help__subcmd__manpage_commands] )) ||
_gazette__subcmd__help__subcmd__manpage_commands() {
    local commands; commands=()
    _describe -t commands 'gazette help manpage commands' commands "$@"
}
(( $+functions[_gazette__subcmd__help__subcmd__migrate_commands] )) ||
_gazette__subcmd__help__subcmd__migrate_commands() {
    local commands; commands=()
    _describe -t commands 'gazette help migrate commands' commands "$@"
}
(( $+functions[_gazette__subcmd__help__subcmd__rebuild_commands] )) ||
_gazette__subcmd__help__subcmd__rebuild_commands() {
    local commands; commands=()
    _describe -t commands 'gazette help rebuild commands' commands "$@"
}
(( $+functions[_gazette__subcmd__help__subcmd__schedule_commands] )) ||
_gazette__subcmd__help__subcmd__schedule_commands() {
    local commands; commands=(
'list:List every revision held until its publication time, soonest first\: a header line, then one tab-separated line each' \
    )
    _describe -t commands 'gazette help schedule commands' commands "$@"
}
(( $+functions[_gazette__subcmd__help__subcmd__schedule__subcmd__list_commands] )) ||
_gazette__subcmd__help__subcmd__schedule__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'gazette help schedule list commands' commands "$@"
}
(( $+functions[_gazette__subcmd__help__subcmd__submit_commands] )) ||
_gazette__subcmd__help__subcmd__submit_commands() {
    local commands; commands=()
    _describe -t commands 'gazette help submit commands' commands "$@"
}
(( $+functions[_gazette__subcmd__help__subcmd__subscribers_commands] )) ||
_gazette__subcmd__help__subcmd__subscribers_commands() {
    local commands; commands=(
'add:Add a webhook endpoint (prints its whsec_ secret, once) or an email address (sends the confirmation mail)' \
'list:List every subscription\: a header line, then one tab-separated line each' \
'rotate:Give a webhook a new secret; the old one keeps signing beside it for --overlap' \
'remove:Delete a subscription and its delivery records' \
    )
    _describe -t commands 'gazette help subscribers commands' commands "$@"
}
(( $+functions[_gazette__subcmd__help__subcmd__subscribers__subcmd__add_commands] )) ||
_gazette__subcmd__help__subcmd__subscribers__subcmd__add_commands() {
    local commands; commands=()
    _describe -t commands 'gazette help subscribers add commands' commands "$@"
}
(( $+functions[_gazette__subcmd__help__subcmd__subscribers__subcmd__list_commands] )) ||
_gazette__subcmd__help__subcmd__subscribers__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'gazette help subscribers list commands' commands "$@"
}
(( $+functions[_gazette__subcmd__help__subcmd__subscribers__subcmd__remove_commands] )) ||
_gazette__subcmd__help__subcmd__subscribers__subcmd__remove_commands() {
    local commands; commands=()
    _describe -t commands 'gazette help subscribers remove commands' commands "$@"
}
(( $+functions[_gazette__subcmd__help__subcmd__subscribers__subcmd__rotate_commands] )) ||
_gazette__subcmd__help__subcmd__subscribers__subcmd__rotate_commands() {
    local commands; commands=()
    _describe -t commands 'gazette help subscribers rotate commands' commands "$@"
}
(( $+functions[_gazette__subcmd__help__subcmd__topology_commands] )) ||
_gazette__subcmd__help__subcmd__topology_commands() {
    local commands; commands=()
    _describe -t commands 'gazette help topology commands' commands "$@"
}
(( $+functions[_gazette__subcmd__help__subcmd__up_commands] )) ||
_gazette__subcmd__help__subcmd__up_commands() {
    local commands; commands=()
    _describe -t commands 'gazette help up commands' commands "$@"
}
(( $+functions[_gazette__subcmd__help__subcmd__worker_commands] )) ||
_gazette__subcmd__help__subcmd__worker_commands() {
    local commands; commands=()
    _describe -t commands 'gazette help worker commands' commands "$@"
}
(( $+functions[_gazette__subcmd__manpage_commands] )) ||
_gazette__subcmd__manpage_commands() {
    local commands; commands=()
    _describe -t commands 'gazette manpage commands' commands "$@"
}
(( $+functions[_gazette__subcmd__migrate_commands] )) ||
_gazette__subcmd__migrate_commands() {
    local commands; commands=()
    _describe -t commands 'gazette migrate commands' commands "$@"
}
(( $+functions[_gazette__subcmd__rebuild_commands] )) ||
_gazette__subcmd__rebuild_commands() {
    local commands; commands=()
    _describe -t commands 'gazette rebuild commands' commands "$@"
}
(( $+functions[_gazette__subcmd__schedule_commands] )) ||
_gazette__subcmd__schedule_commands() {
    local commands; commands=(
'list:List every revision held until its publication time, soonest first\: a header line, then one tab-separated line each' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'gazette schedule commands' commands "$@"
}
(( $+functions[_gazette__subcmd__schedule__subcmd__help_commands] )) ||
_gazette__subcmd__schedule__subcmd__help_commands() {
    local commands; commands=(
'list:List every revision held until its publication time, soonest first\: a header line, then one tab-separated line each' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'gazette schedule help commands' commands "$@"
}
(( $+functions[_gazette__subcmd__schedule__subcmd__help__subcmd__help_commands] )) ||
_gazette__subcmd__schedule__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'gazette schedule help help commands' commands "$@"
}
(( $+functions[_gazette__subcmd__schedule__subcmd__help__subcmd__list_commands] )) ||
_gazette__subcmd__schedule__subcmd__help__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'gazette schedule help list commands' commands "$@"
}
(( $+functions[_gazette__subcmd__schedule__subcmd__list_commands] )) ||
_gazette__subcmd__schedule__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'gazette schedule list commands' commands "$@"
}
(( $+functions[_gazette__subcmd__submit_commands] )) ||
_gazette__subcmd__submit_commands() {
    local commands; commands=()
    _describe -t commands 'gazette submit commands' commands "$@"
}
(( $+functions[_gazette__subcmd__subscribers_commands] )) ||
_gazette__subcmd__subscribers_commands() {
    local commands; commands=(
'add:Add a webhook endpoint (prints its whsec_ secret, once) or an email address (sends the confirmation mail)' \
'list:List every subscription\: a header line, then one tab-separated line each' \
'rotate:Give a webhook a new secret; the old one keeps signing beside it for --overlap' \
'remove:Delete a subscription and its delivery records' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'gazette subscribers commands' commands "$@"
}
(( $+functions[_gazette__subcmd__subscribers__subcmd__add_commands] )) ||
_gazette__subcmd__subscribers__subcmd__add_commands() {
    local commands; commands=()
    _describe -t commands 'gazette subscribers add commands' commands "$@"
}
(( $+functions[_gazette__subcmd__subscribers__subcmd__help_commands] )) ||
_gazette__subcmd__subscribers__subcmd__help_commands() {
    local commands; commands=(
'add:Add a webhook endpoint (prints its whsec_ secret, once) or an email address (sends the confirmation mail)' \
'list:List every subscription\: a header line, then one tab-separated line each' \
'rotate:Give a webhook a new secret; the old one keeps signing beside it for --overlap' \
'remove:Delete a subscription and its delivery records' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'gazette subscribers help commands' commands "$@"
}
(( $+functions[_gazette__subcmd__subscribers__subcmd__help__subcmd__add_commands] )) ||
_gazette__subcmd__subscribers__subcmd__help__subcmd__add_commands() {
    local commands; commands=()
    _describe -t commands 'gazette subscribers help add commands' commands "$@"
}
(( $+functions[_gazette__subcmd__subscribers__subcmd__help__subcmd__help_commands] )) ||
_gazette__subcmd__subscribers__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'gazette subscribers help help commands' commands "$@"
}
(( $+functions[_gazette__subcmd__subscribers__subcmd__help__subcmd__list_commands] )) ||
_gazette__subcmd__subscribers__subcmd__help__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'gazette subscribers help list commands' commands "$@"
}
(( $+functions[_gazette__subcmd__subscribers__subcmd__help__subcmd__remove_commands] )) ||
_gazette__subcmd__subscribers__subcmd__help__subcmd__remove_commands() {
    local commands; commands=()
    _describe -t commands 'gazette subscribers help remove commands' commands "$@"
}
(( $+functions[_gazette__subcmd__subscribers__subcmd__help__subcmd__rotate_commands] )) ||
_gazette__subcmd__subscribers__subcmd__help__subcmd__rotate_commands() {
    local commands; commands=()
    _describe -t commands 'gazette subscribers help rotate commands' commands "$@"
}
(( $+functions[_gazette__subcmd__subscribers__subcmd__list_commands] )) ||
_gazette__subcmd__subscribers__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'gazette subscribers list commands' commands "$@"
}
(( $+functions[_gazette__subcmd__subscribers__subcmd__remove_commands] )) ||
_gazette__subcmd__subscribers__subcmd__remove_commands() {
    local commands; commands=()
    _describe -t commands 'gazette subscribers remove commands' commands "$@"
}
(( $+functions[_gazette__subcmd__subscribers__subcmd__rotate_commands] )) ||
_gazette__subcmd__subscribers__subcmd__rotate_commands() {
    local commands; commands=()
    _describe -t commands 'gazette subscribers rotate commands' commands "$@"
}
(( $+functions[_gazette__subcmd__topology_commands] )) ||
_gazette__subcmd__topology_commands() {
    local commands; commands=()
    _describe -t commands 'gazette topology commands' commands "$@"
}
(( $+functions[_gazette__subcmd__up_commands] )) ||
_gazette__subcmd__up_commands() {
    local commands; commands=()
    _describe -t commands 'gazette up commands' commands "$@"
}
(( $+functions[_gazette__subcmd__worker_commands] )) ||
_gazette__subcmd__worker_commands() {
    local commands; commands=()
    _describe -t commands 'gazette worker commands' commands "$@"
}

if [ "$funcstack[1]" = "_gazette" ]; then
    _gazette "$@"
else
    compdef _gazette gazette
fi
