# Attack chain of the watermark benchmarks (sourced by bench_wm.sh and
# lab.sh): attack NAME IN.wav OUT.wav RATE, the output decoded back to
# 16-bit mono WAV at RATE. Needs $T (a scratch folder) and $B (wm_bench,
# for the seeded noise). Debian tools only: lame, oggenc, opusenc, ffmpeg, sox.
# sox runs in repeatable mode (-R: a fixed dither seed), so a rerun of the
# same build on the same corpus gives the same cases, and a change between
# two builds is the builds' own, not the dither's.
sox() { command sox -R "$@"; }
WM_ATTACKS=(none mp3_128 mp3_64 mp3_32 aac_64 vorbis_q2 vorbis_q0 opus_32 opus_16 libopus_12 mp3_aac
            resample noise_20 noise_10 lowpass_4k highpass_500 eq vol_0.5 polarity reverb echo compand clip
            speed_0.95 speed_0.97 speed_0.99 speed_1.01 speed_1.03 speed_1.05
            tempo_0.95 tempo_1.05 pitch_50 pitch_-50 tempo_mp3 pitch_opus telephone)

dec() { ffmpeg -nostdin -v error -y -i "$1" -ac 1 -ar "$3" -c:a pcm_s16le "$2"; }
attack() { # NAME IN.wav OUT.wav SR
  local a=$1 i=$2 o=$3 sr=$4 t="$T/a$BASHPID"
  case $a in
    none) cp "$i" "$o" ;;
    mp3_128|mp3_64|mp3_32) lame --quiet -b "${a#mp3_}" "$i" "$t.mp3"; dec "$t.mp3" "$o" "$sr" ;;
    aac_64) ffmpeg -nostdin -v error -y -i "$i" -c:a aac -b:a 64k "$t.m4a"; dec "$t.m4a" "$o" "$sr" ;;
    vorbis_q2|vorbis_q0) oggenc --quiet -q "${a#vorbis_q}" "$i" -o "$t.ogg"; dec "$t.ogg" "$o" "$sr" ;;
    opus_32|opus_16) opusenc --quiet --bitrate "${a#opus_}" "$i" "$t.opus"; dec "$t.opus" "$o" "$sr" ;;
    libopus_12) ffmpeg -nostdin -v error -y -i "$i" -c:a libopus -b:a 12k "$t.opus"; dec "$t.opus" "$o" "$sr" ;;
    mp3_aac) lame --quiet -b 128 "$i" "$t.mp3"; dec "$t.mp3" "$t.dec.wav" "$sr"
             ffmpeg -nostdin -v error -y -i "$t.dec.wav" -c:a aac -b:a 64k "$t.m4a"; dec "$t.m4a" "$o" "$sr" ;;
    resample) local via=16000; [ "$sr" -le 16000 ] && via=8000
              sox "$i" -r $via "$t.wav"; sox "$t.wav" -r "$sr" "$o" ;;
    noise_20|noise_10) sox "$i" -t f32 "$t.f32"; "$B" noise "${a#noise_}" 7 "$t.f32" "$t.n.f32"
                       sox -t f32 -r "$sr" -c 1 "$t.n.f32" -b 16 "$o" 2>/dev/null ;;
    lowpass_4k) sox "$i" "$o" sinc -4000 ;;
    highpass_500) sox "$i" "$o" highpass 500 ;;
    eq) sox "$i" "$o" gain -6 bass -6 equalizer 1000 1q +6 equalizer 2500 2q -6 treble +6 ;;
    vol_0.5) sox "$i" "$o" vol 0.5 ;;
    polarity) sox "$i" "$o" vol -1 ;;
    reverb) sox "$i" "$o" reverb 50 50 100 ;;
    echo) sox "$i" "$o" echo 0.8 0.9 120 0.4 ;;
    compand) sox "$i" "$o" compand 0.01,0.2 -70,-60,-40,-20,0,-8 0 -90 0.05 ;;
    clip) sox "$i" "$o" gain 10 2>/dev/null ;;  # peaks clipped at full scale
    speed_*) sox "$i" "$o" speed "${a#speed_}" rate "$sr" ;;
    tempo_mp3) sox "$i" "$t.t.wav" tempo 1.04; lame --quiet -b 64 "$t.t.wav" "$t.mp3"; dec "$t.mp3" "$o" "$sr" ;;
    tempo_*) sox "$i" "$o" tempo "${a#tempo_}" ;;
    pitch_opus) sox "$i" "$t.p.wav" pitch 40; opusenc --quiet --bitrate 32 "$t.p.wav" "$t.opus"; dec "$t.opus" "$o" "$sr" ;;
    pitch_*) sox "$i" "$o" pitch "${a#pitch_}" ;;
    telephone) sox "$i" -r 8000 "$t.wav" sinc 300-3400
               ffmpeg -nostdin -v error -y -i "$t.wav" -c:a pcm_mulaw "$t.mu.wav"; dec "$t.mu.wav" "$o" "$sr" ;;
    *) echo "unknown attack $a" >&2; return 1 ;;
  esac
  rm -f "$t".*
}
