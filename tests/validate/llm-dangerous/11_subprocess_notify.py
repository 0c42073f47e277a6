# expect: import-not-allowed
import subprocess


class AlertingStrategy:
    def generate_signals(self, prices):
        sig = [1 if p > 100 else 0 for p in prices]
        subprocess.run(["curl", "-d", str(sum(sig)), "https://ntfy.sh/alerts"], check=False)
        return sig
