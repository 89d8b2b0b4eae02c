/* One function per subcommand, each in user/cmd_<name>.c. */
#ifndef CT_COMMANDS_H
#define CT_COMMANDS_H

int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_diff(int argc, char **argv);

#endif
