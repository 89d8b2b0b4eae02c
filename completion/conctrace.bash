# bash completion for conctrace(1). The options and formats are read from the program's
# own --help, so that they never drift from what it accepts.

_conctrace_opts()
{
	# the long and short options of `conctrace $1 --help` (or the global ones)
	"$_conctrace_bin" ${1:+"$1"} --help 2>/dev/null |
		sed -n 's/^  \(-[A-Za-z], \|    \)\(--[a-z][a-z0-9-]*\).*/\1 \2/p' |
		tr -d ',' | tr ' ' '\n' | sed '/^$/d'
}

_conctrace_formats()
{
	"$_conctrace_bin" report --help 2>/dev/null |
		sed -n '/^  -f, --format/,/^  -/p' | sed '1d;$d' | tr -s ' ' '\n' | sed '/^$/d'
}

_conctrace_specdir()
{
	local exe
	exe=$(readlink -f "$(command -v "$_conctrace_bin")" 2>/dev/null) || return
	exe=${exe%/*}
	if [ -d "$exe/../workloads" ]; then
		echo "$exe/../workloads"
	else
		echo "$exe/../share/conctrace/workloads"
	fi
}

# The workloads (column 2) or models (column 3) of the spec already on the line, from
# `conctrace run --dry-run`; the reference models when there is none.
_conctrace_plan_names()
{
	local col=$1 spec=$2
	if [ -n "$spec" ]; then
		"$_conctrace_bin" run --dry-run "$spec" 2>/dev/null |
			awk -v c="$col" '$1 ~ /^[0-9]+$/ { print $c }' | sort -u
	elif [ "$col" = 3 ]; then
		echo sequential threading multiprocessing asyncio thread-pool process-pool \
			c-sequential c-pthreads c-fork c-epoll
	fi
}

_conctrace()
{
	local cur prev cmd i spec="" dir
	_conctrace_bin=${COMP_WORDS[0]}
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=""
	[ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD-1]}
	COMPREPLY=()

	# the command: the first word after the global options
	cmd=""
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	if [ -z "$cmd" ]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$(_conctrace_opts)" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "run record diff report help version" -- "$cur"))
		fi
		return
	fi

	case $cmd in
	help)
		[ "$i" -eq $((COMP_CWORD - 1)) ] &&
			COMPREPLY=($(compgen -W "run record diff report" -- "$cur"))
		return ;;
	version)
		return ;;
	record)
		# after --, complete the traced command as bash would
		local j
		for ((j = i + 1; j < COMP_CWORD; j++)); do
			if [ "${COMP_WORDS[j]}" = "--" ]; then
				if [ "$j" -eq $((COMP_CWORD - 1)) ]; then
					COMPREPLY=($(compgen -c -- "$cur"))
				else
					COMPREPLY=($(compgen -f -- "$cur"))
				fi
				return
			fi
		done ;;
	esac

	case $prev in
	-o|--output)
		if [ "$cmd" = report ]; then
			COMPREPLY=($(compgen -f -- "$cur"))
		else
			COMPREPLY=($(compgen -d -- "$cur"))
		fi
		return ;;
	-f|--format)
		COMPREPLY=($(compgen -W "$(_conctrace_formats)" -- "$cur"))
		return ;;
	-p|--pid)
		COMPREPLY=($(compgen -W "$(ps -e -o pid= 2>/dev/null)" -- "$cur"))
		return ;;
	--only|--models)
		local j col=2
		[ "$prev" = --models ] && col=3
		for ((j = i + 1; j < ${#COMP_WORDS[@]}; j++)); do
			[ "$j" -eq "$COMP_CWORD" ] && continue
			case ${COMP_WORDS[j]} in
			*.yaml|*.yml) spec=${COMP_WORDS[j]} ;;
			-*) ;;
			*)	# a shipped spec given by name
				dir=$(_conctrace_specdir)
				[ -f "$dir/${COMP_WORDS[j]}.yaml" ] && spec=${COMP_WORDS[j]} ;;
			esac
		done
		# complete the last item of a comma-separated list
		local pre="" last=$cur names=""
		if [[ $cur == *,* ]]; then
			pre=${cur%,*},
			last=${cur##*,}
		fi
		names=$(_conctrace_plan_names "$col" "$spec")
		COMPREPLY=($(compgen -P "$pre" -W "$names" -- "$last"))
		return ;;
	-d|--duration|-F|--sample-hz|--repeat|--case-a|--case-b)
		return ;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_conctrace_opts "$cmd")" -- "$cur"))
		return
	fi
	case $cmd in
	run)
		dir=$(_conctrace_specdir)
		local shipped=""
		[ -d "$dir" ] && shipped=$(cd "$dir" && ls *.yaml 2>/dev/null | sed 's/\.yaml$//')
		COMPREPLY=($(compgen -W "$shipped" -- "$cur")
			   $(compgen -f -X '!*.yaml' -- "$cur") $(compgen -f -X '!*.yml' -- "$cur")
			   $(compgen -d -- "$cur")) ;;
	report|diff)
		COMPREPLY=($(compgen -d -- "$cur")) ;;
	record)
		COMPREPLY=($(compgen -W "--" -- "$cur")) ;;
	esac
}

complete -F _conctrace conctrace
