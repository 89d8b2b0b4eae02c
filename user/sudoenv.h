/* Under sudo, the invoking user's own PATH and VIRTUAL_ENV (sudo's secure_path replaced
 * them), to say when a command name would run another program for that user. */
#ifndef CT_SUDOENV_H
#define CT_SUDOENV_H
#include "util.h"

/* When conctrace was started by sudo, warn (one line) if the bare command name resolves
 * here to another program than in the invoking user's own PATH, naming both and how to
 * run the other; what names it ("the spec's python", "the command"), pick says how to give
 * another one ("defaults.python in the spec"). Nothing for a name with a '/'. */
void sudo_check_resolution(const char *name, const struct ct_user *u, const char *what,
			   const char *pick);

#endif
