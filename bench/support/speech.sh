# Sourced by the bench scripts: make_speech OUT.wav SECONDS writes at least
# SECONDS of espeak-ng speech, so that Opus sees voice activity (its in-band
# FEC codes only active frames) and the stream has natural pauses: a
# paragraph (about 18 s at 160 words/min) repeated to cover the length.
make_speech() {
  local out=$1 seconds=$2 text
  text=$(mktemp)
  local paragraph="The radio operator repeated the coordinates twice, slowly, so that every \
number would survive the noise. Nobody answered at first. Then a faint voice came back, \
asking for the bearing and the time of the last contact. We waited, counted to ten, and \
tried again on the second channel."
  for ((i = 0; i < seconds / 15 + 2; i++)); do echo "$paragraph"; done >"$text"
  espeak-ng -s 160 -w "$out" -f "$text"
  rm -f "$text"
}
