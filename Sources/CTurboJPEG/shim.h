// libjpeg-turbo's TurboJPEG API (Debian's libturbojpeg0-dev), to decode the JPEG files of image folders.
#include <turbojpeg.h>
