"""Send-and-capture helper shared by the scapy scripts of the netns tests."""
import sys
import threading
import time

from scapy.all import AsyncSniffer, sendp


def exchange(iface, frames, match, wait):
    """Sends @frames on @iface and returns the packets matching @match seen within @wait s."""
    started = threading.Event()
    sn = AsyncSniffer(iface=iface, store=True, lfilter=match, started_callback=started.set)
    sn.start()
    if not started.wait(5):
        sys.exit("sniffer did not start")
    time.sleep(0.2)
    sendp(frames, iface=iface)
    time.sleep(wait)
    sn.stop()
    return sn.results or []
