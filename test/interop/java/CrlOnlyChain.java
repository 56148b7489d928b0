// A relying party as it is set up by default, facing a CRL-only deployment (issue 22): Java's PKIX
// (SUN) and BouncyCastle's PKIX check every certificate of the chain, OCSP first where the switches
// allow it (ocsp.enable), falling back to the CRL fetched from the certificate's
// cRLDistributionPoints (com.sun.security.enableCRLDP, org.bouncycastle.x509.enableCRLDP). A
// certificate naming no OCSP responder must be decided by its CRL, neither refused nor soft-failed.
// Arguments: root.pem issuing.pem leaf.pem; one line per provider: "SUN ok", "BC fail …", "SUN soft-fail …".
import java.io.*;
import java.nio.file.*;
import java.security.*;
import java.security.cert.*;
import java.util.*;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

public class CrlOnlyChain {
  public static void main(String[] args) throws Exception {
    Security.addProvider(new BouncyCastleProvider());
    Security.setProperty("ocsp.enable", "true");
    System.setProperty("com.sun.security.enableCRLDP", "true");
    System.setProperty("org.bouncycastle.x509.enableCRLDP", "true");
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    X509Certificate root = load(factory, args[0]);
    X509Certificate issuing = load(factory, args[1]);
    X509Certificate leaf = load(factory, args[2]);
    for (String provider : List.of("SUN", "BC")) {
      System.out.println(provider + " " + validate(factory, provider, root, issuing, leaf));
    }
  }

  static String validate(CertificateFactory factory, String provider, X509Certificate root, X509Certificate issuing, X509Certificate leaf) throws Exception {
    CertPathValidator validator = provider.equals("BC") ? CertPathValidator.getInstance("PKIX", "BC") : CertPathValidator.getInstance("PKIX");
    PKIXRevocationChecker checker = (PKIXRevocationChecker) validator.getRevocationChecker();
    // The defaults: every certificate of the chain, OCSP preferred, CRLs when OCSP cannot be had, no soft fail.
    checker.setOptions(EnumSet.noneOf(PKIXRevocationChecker.Option.class));
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
    params.setRevocationEnabled(true);
    params.addCertPathChecker(checker);
    try {
      validator.validate(factory.generateCertPath(List.of(leaf, issuing)), params);
      return "ok";
    } catch (CertPathValidatorException e) {
      return "fail index=" + e.getIndex() + " reason=" + e.getReason() + " " + String.valueOf(e.getMessage()).replace('\n', ' ');
    }
  }

  static X509Certificate load(CertificateFactory factory, String path) throws Exception {
    try (InputStream in = Files.newInputStream(Paths.get(path))) {
      return (X509Certificate) factory.generateCertificate(in);
    }
  }
}
