# Pointing the host elsewhere: at bar params["at"], the strategy rewrites
# one of the header's layout fields (params["field"]: a byte offset into
# struct ls_header, params["value"]) with numpy alone.  The host made the
# layout; it must go on using its own copy of it, so the run either ends
# as it would have (no orders: no trades) or as a protocol error; the
# host never writes bars or accounts, nor reads answers, where the
# strategy pointed.
class Offsets(BaseStrategy):  # noqa: F821
    def generate_signals(self, d):
        if self.bar_index == self.config["at"]:
            mv = d.close.base.base
            off = self.config["field"]
            if self.config.get("width", 8) == 4:
                np.frombuffer(mv, dtype=np.uint32, count=96)[off // 4] = self.config["value"]
            else:
                np.frombuffer(mv, dtype=np.uint64, count=48)[off // 8] = self.config["value"]
        return []
