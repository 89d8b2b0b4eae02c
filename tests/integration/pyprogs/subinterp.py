"""A subinterpreter is made first (it becomes the newest in _PyRuntime's list), then a new
thread of the main interpreter spins in spin()."""
import threading
import time

try:
    import _interpreters as si           # 3.13
except ImportError:
    import _xxsubinterpreters as si      # 3.10-3.12

sub = si.create()


def spin(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:  # LINE:spin
        pass


t = threading.Thread(target=spin, args=(0.8,))
t.start()
t.join()
si.destroy(sub)
