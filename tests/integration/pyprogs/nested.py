"""A hot leaf spin() called from outer(), and waiter() blocked in lock.acquire() while the
main thread spins. The test finds the lines by their markers."""
import threading
import time


def spin(n):
    x = 0
    for i in range(n):  # LINE:spin-loop
        x += i  # LINE:spin-add
    return x


def outer(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        spin(20000)  # LINE:outer-call


def waiter(lock):
    lock.acquire()  # LINE:waiter-acquire
    lock.release()


def main():
    # a little work first: conctrace recognises the interpreter a few milliseconds after
    # the exec, and a wait that began before that has no Python frames
    outer(0.2)
    lock = threading.Lock()
    lock.acquire()
    w = threading.Thread(target=waiter, args=(lock,))
    w.start()
    outer(1.5)
    lock.release()
    w.join()


main()
